// A source read ahead on its own thread, so that decoding frame N+1 (a video decoder, a pipe, a
// JPEG) overlaps detection on frame N instead of adding to it.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "pipeline/source.h"

namespace ys {
namespace {

class PrefetchSource : public Source {
 public:
  PrefetchSource(std::unique_ptr<Source> inner, int depth)
      : inner_(std::move(inner)),
        depth_(static_cast<size_t>(depth)),
        description_(inner_->describe()),
        size_(inner_->size()) {
    thread_ = std::thread([this] { produce(); });
  }

  ~PrefetchSource() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  bool next(Frame& frame) override {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !queue_.empty() || finished_ || cancelled_; });
    if (cancelled_) return false;
    if (queue_.empty()) {
      adopt(std::move(tail_errors_));
      tail_errors_.clear();
      if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
      return false;
    }
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    changed_.notify_all();
    adopt(std::move(item.errors));
    frame = std::move(item.frame);
    return true;
  }

  std::string describe() const override { return description_; }
  std::optional<int64_t> size() const override { return size_; }

  // Wakes next() at once and the reading thread as soon as the inner source gives up its read,
  // so that the destructor's join does not wait for a stalled input either.
  void cancel() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
      stop_ = true;
    }
    changed_.notify_all();
    inner_->cancel();
  }

 private:
  // A frame, and what the inner source skipped on the way to it: its errors surface in the order
  // they happened relative to the frames.
  struct Item {
    Frame frame;
    std::vector<std::string> errors;
  };

  void adopt(std::vector<std::string> errors) {
    for (std::string& e : errors) record(std::move(e));
  }

  void produce() {
    size_t seen_errors = 0;
    auto new_errors = [&] {
      const std::vector<std::string>& all = inner_->errors();
      std::vector<std::string> fresh(all.begin() + static_cast<std::ptrdiff_t>(seen_errors),
                                     all.end());
      seen_errors = all.size();
      return fresh;
    };
    try {
      for (;;) {
        {
          std::unique_lock<std::mutex> lock(mutex_);
          changed_.wait(lock, [this] { return stop_ || queue_.size() < depth_; });
          if (stop_) break;
        }
        Item item;
        if (!inner_->next(item.frame)) break;
        item.errors = new_errors();
        {
          std::lock_guard<std::mutex> lock(mutex_);
          queue_.push_back(std::move(item));
        }
        changed_.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    tail_errors_ = new_errors();
    finished_ = true;
    changed_.notify_all();
  }

  std::unique_ptr<Source> inner_;
  const size_t depth_;
  // Taken before the thread starts: a decoder (cv::VideoCapture) is not safe to query from this
  // thread while the other one reads from it.
  const std::string description_;
  const std::optional<int64_t> size_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> queue_;
  std::vector<std::string> tail_errors_;
  std::exception_ptr failure_;
  bool stop_ = false, finished_ = false, cancelled_ = false;
  std::thread thread_;  // last: it starts once everything it touches exists
};

}  // namespace

std::unique_ptr<Source> prefetch_source(std::unique_ptr<Source> inner, int depth) {
  if (depth < 1)
    fail(ErrorKind::kInvalidArgument, "prefetch depth must be at least 1, not ", depth);
  return std::make_unique<PrefetchSource>(std::move(inner), depth);
}

}  // namespace ys
