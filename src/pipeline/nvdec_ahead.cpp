// Packets are read outside the lock (a network read may block); everything that touches the
// decoder or the shared counters holds it. Waking is by one condition variable: the thread
// waits for room (or a starving consumer, or stop), the consumer for any event of the thread.
#include "pipeline/nvdec_ahead.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/error.h"

namespace ys {

DecodeAhead::DecodeAhead(std::unique_ptr<PacketReader> packets,
                         std::unique_ptr<DeviceVideoDecoder> decoder)
    : packets_(std::move(packets)), info_(packets_->info()), decoder_(std::move(decoder)) {}

DecodeAhead::~DecodeAhead() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  packets_->interrupt();
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// The caller's mutex_ is held once the thread runs; open() calls it before there is a thread.
void DecodeAhead::push(const CodedPacket& p, std::vector<std::string>& skipped) {
  try {
    decoder_->push(p.data.data(), p.data.size(), p.pts_us);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kBadInput) throw;
    skipped.push_back(cat(packets_->name(p), ": ", e.what()));
    return;
  }
  ++in_flight_;
  most_in_flight_ = std::max(most_in_flight_, in_flight_);
}

bool DecodeAhead::open(std::vector<std::string>& skipped) {
  DeviceVideoFrame f;
  while (!decoder_->next(f)) {
    if (ended_) return false;
    std::optional<CodedPacket> p;
    try {
      p = packets_->next();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kBadInput) throw;
      skipped.push_back(e.what());
      continue;
    }
    if (p) {
      push(*p, skipped);
    } else {
      decoder_->push(nullptr, 0, 0);
      ended_ = true;
    }
  }
  in_flight_ = std::max<int64_t>(0, in_flight_ - 1);
  first_ = f;
  primed_ = true;
  limit_ = std::max(1, decoder_->max_ahead());
  if (!ended_) thread_ = std::thread([this] { produce(); });
  return true;
}

void DecodeAhead::produce() {
  std::exception_ptr failure;
  try {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return stop_ || starving_ || in_flight_ < limit_; });
        if (stop_) return;
      }
      std::optional<CodedPacket> p;
      std::string bad;
      try {
        p = packets_->next();
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kBadInput) throw;
        bad = e.what();  // a damaged packet: the reader goes on after it
      }
      bool end = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_) return;  // an interrupted read is not the end of the stream
        starving_ = false;  // one packet per call for help: the consumer asks again if need be
        if (!bad.empty()) {
          skipped_.push_back(std::move(bad));
        } else if (p) {
          push(*p, skipped_);
        } else {
          decoder_->push(nullptr, 0, 0);  // flushes the frames held back for reordering
          ended_ = end = true;
        }
        ++events_;
      }
      changed_.notify_all();
      if (end) return;
    }
  } catch (...) {
    failure = std::current_exception();
  }
  // Handed over once this thread's handler is done with the exception, so that from here on the
  // consumer alone touches it.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::move(failure);
    ended_ = true;
    ++events_;
  }
  changed_.notify_all();
}

bool DecodeAhead::next(DeviceVideoFrame& frame, std::vector<std::string>& skipped) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto take_skipped = [&] {
    for (std::string& s : skipped_) skipped.push_back(std::move(s));
    skipped_.clear();
  };
  if (primed_) {
    primed_ = false;
    frame = first_;
    return true;
  }
  for (;;) {
    take_skipped();
    if (cancelled_) return false;
    if (decoder_->next(frame)) {
      in_flight_ = std::max<int64_t>(0, in_flight_ - 1);
      lock.unlock();
      changed_.notify_all();
      return true;
    }
    if (ended_) {
      if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
      return false;
    }
    starving_ = true;
    const uint64_t seen = events_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return events_ != seen || cancelled_; });
  }
}

void DecodeAhead::letterbox(const LetterboxPlacement& at, const Tensor& input, int slot) {
  std::lock_guard<std::mutex> lock(mutex_);
  decoder_->letterbox(at, input, slot);
}

Tensor DecodeAhead::download_bgr() {
  std::lock_guard<std::mutex> lock(mutex_);
  return decoder_->download_bgr();
}

// The flags first: a read that the interrupt ends must find stop_ set, or it would be taken for
// the end of the stream.
void DecodeAhead::cancel() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = stop_ = true;
  }
  packets_->interrupt();
  changed_.notify_all();
}

int64_t DecodeAhead::most_ahead() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return most_in_flight_;
}

}  // namespace ys
