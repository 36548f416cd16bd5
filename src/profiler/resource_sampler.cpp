#include "profiler/resource_sampler.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "core/clock.h"

namespace ys {

int64_t process_cpu_time_ns() {
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream ss(line.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && ss >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? (utime + stime) * 1000000000LL / ticks : 0;
}

int64_t process_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long long size = 0, resident = 0;
  if (!(f >> size >> resident)) return 0;
  return resident * sysconf(_SC_PAGESIZE);
}

ResourceSampler::ResourceSampler(int period_ms) : period_ms_(period_ms) {
  thread_ = std::thread([this] { loop(); });
}

ResourceSampler::~ResourceSampler() {
  stop();
}

void ResourceSampler::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

std::vector<ResourceSample> ResourceSampler::samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

void ResourceSampler::loop() {
  int64_t last_t = now_ns(), last_cpu = process_cpu_time_ns();
  while (running_) {
    // Sleep in short slices so stop() returns promptly.
    for (int waited = 0; waited < period_ms_ && running_; waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const int64_t t = now_ns(), cpu = process_cpu_time_ns();
    ResourceSample s;
    s.t_ns = t;
    s.cpu_percent =
        t > last_t ? 100.0 * static_cast<double>(cpu - last_cpu) / static_cast<double>(t - last_t)
                   : 0;
    s.rss_bytes = process_rss_bytes();
    last_t = t;
    last_cpu = cpu;
    std::lock_guard<std::mutex> lock(mu_);
    samples_.push_back(s);
  }
}

}  // namespace ys
