// A background thread that calls a reading function at a fixed period and keeps what it returns.
// The NVML and /proc samplers share it, so their schedules, stopping and locking behave the same:
// a slow reading does not stretch the period, a stall (a suspended process, a hung driver call)
// resumes the schedule from now instead of catching up with a burst, and stop() returns as soon
// as the reading in progress ends, not after a whole period.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ys {

template <typename Sample>
class PeriodicSampler {
 public:
  // Appends this tick's samples (none, one, or one per device) to `out`.
  using Read = std::function<void(std::vector<Sample>& out)>;
  enum class FirstReading { kAtStart, kAfterOnePeriod };

  PeriodicSampler() = default;
  ~PeriodicSampler() { stop(); }
  PeriodicSampler(const PeriodicSampler&) = delete;
  PeriodicSampler& operator=(const PeriodicSampler&) = delete;

  void start(int period_ms, FirstReading first, Read read) {
    stop();
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
    thread_ = std::thread([this, period = std::chrono::milliseconds(std::max(1, period_ms)), first,
                           read = std::move(read)] { loop(period, first, read); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::vector<Sample> samples() const {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }

 private:
  void loop(std::chrono::milliseconds period, FirstReading first, const Read& read) {
    using Clock = std::chrono::steady_clock;
    auto next = Clock::now();
    if (first == FirstReading::kAfterOnePeriod) next += period;
    std::vector<Sample> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
      }
      batch.clear();
      read(batch);
      {
        std::lock_guard<std::mutex> lock(mu_);
        samples_.insert(samples_.end(), batch.begin(), batch.end());
      }
      next += period;
      if (Clock::now() > next + period) next = Clock::now();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = true;
  std::vector<Sample> samples_;
  std::thread thread_;
};

}  // namespace ys
