#include "pipeline/frame_loop.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/error.h"

namespace ys {
namespace {

double ms_since(int64_t t0) {
  return static_cast<double>(now_ns() - t0) / 1e6;
}

bool stop_asked(const FrameLoop& loop) {
  return loop.stop && loop.stop->load();
}

// Reads up to `batch` frames into b.frames, timing the read; false when the source has ended.
bool read_batch(Source& source, int batch, DetectedBatch& b) {
  const int64_t t0 = now_ns();
  bool more = true;
  Frame f;
  while (static_cast<int>(b.frames.size()) < batch) {
    if (!source.next(f)) {
      more = false;
      break;
    }
    b.frames.push_back(std::move(f));
  }
  b.stage_ms[static_cast<size_t>(PipelineStage::kRead)] = ms_since(t0);
  b.stage_begin_ns[static_cast<size_t>(PipelineStage::kRead)] = t0;
  return more;
}

// Frames a device decoder has letterboxed into the detector's input (decoder=nvdec) go straight
// to inference. Their slots must be their places in the batch, or the input would hold other
// frames than the ones delivered.
std::vector<std::vector<Detection>> detect_frames(Detector& det, const std::vector<Frame>& frames) {
  if (!frames.front().on_device()) {
    std::vector<const Tensor*> images;
    for (const Frame& f : frames) images.push_back(&f.image);
    return det.detect_batch(images);
  }
  std::vector<std::array<int, 2>> sizes;
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = frames[i];
    if (f.device_slot != static_cast<int>(i))
      fail(ErrorKind::kInternal, "frame ", f.index, " of ", f.source, " is in slot ", f.device_slot,
           " of the device input, not ", i, " (decoder=nvdec reads one batch at a ",
           "time into one detector)");
    sizes.push_back({f.device_width, f.device_height});
  }
  return det.detect_letterboxed(sizes);
}

void detect(Detector& det, size_t k, DetectedBatch& b) {
  b.detections = detect_frames(det, b.frames);
  constexpr auto kRead = static_cast<size_t>(PipelineStage::kRead);
  const double read_ms = b.stage_ms[kRead];
  const int64_t read_begin = b.stage_begin_ns[kRead];
  b.stage_ms = det.last_stage_ms();
  b.stage_begin_ns = det.last_stage_begin_ns();
  b.stage_ms[kRead] = read_ms;
  b.stage_begin_ns[kRead] = read_begin;
  b.candidates = det.last_candidates();
  b.detector = k;
}

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

// Tells every observer the batch is done; false when one of them ends the loop.
bool end_batch(const FrameLoop& loop, const DetectedBatch& b, bool delivered) {
  bool go_on = true;
  for (FrameObserver* o : loop.observers) go_on = o->batch_end(b, delivered) && go_on;
  return go_on;
}

// Delivers a detected batch, timing it as the output stage; false when the loop should end.
bool deliver(const FrameLoop& loop, DetectedBatch& b, bool bracket) {
  if (bracket)
    for (FrameObserver* o : loop.observers) o->stage_begin(PipelineStage::kOutput);
  const int64_t t0 = now_ns();
  const bool delivered = loop.deliver(b);
  b.stage_ms[static_cast<size_t>(PipelineStage::kOutput)] = ms_since(t0);
  b.stage_begin_ns[static_cast<size_t>(PipelineStage::kOutput)] = t0;
  if (bracket && delivered)
    for (FrameObserver* o : loop.observers) o->stage_end(PipelineStage::kOutput);
  return end_batch(loop, b, delivered) && delivered;
}

// One detector: read, detect and deliver on the calling thread, bracketed for the observers.
int64_t run_inline(const FrameLoop& loop) {
  Detector& det = *loop.detectors.front();
  int64_t delivered = 0;
  bool more = true;
  while (more && !stop_asked(loop)) {
    DetectedBatch b;
    b.first_frame = delivered;
    for (FrameObserver* o : loop.observers) o->batch_begin(delivered);
    for (FrameObserver* o : loop.observers) o->stage_begin(PipelineStage::kRead);
    more = read_batch(*loop.source, det.batch(), b);
    for (FrameObserver* o : loop.observers) o->stage_end(PipelineStage::kRead);
    if (b.frames.empty()) {
      end_batch(loop, b, false);
      break;
    }
    const int64_t t0 = now_ns();
    detect(det, 0, b);
    if (loop.device_runs) {
      DeviceRun& r = loop.device_runs->front();
      r.frames += static_cast<int64_t>(b.frames.size());
      ++r.batches;
      r.busy_ms += ms_since(t0);
    }
    delivered += static_cast<int64_t>(b.frames.size());
    if (!deliver(loop, b, /*bracket=*/true)) break;
  }
  return delivered;
}

// Several detectors: each reads and detects on its own thread; batches come back in source
// order on the calling thread. A worker reads a batch only when it holds none, so the batches go
// to the least-loaded detectors: a slow one, still busy, is passed over, and a fast one takes
// more. That is why there is no dispatcher: the source lock is the queue.
int64_t run_threaded(const FrameLoop& loop) {
  Source& source = *loop.source;
  std::mutex source_mutex, done_mutex;
  std::condition_variable done_changed;
  int64_t next_batch = 0, frames_read = 0;
  bool source_ended = false;
  const bool pool = !loop.devices.empty();
  std::vector<DeviceRun> runs(loop.detectors.size());  // guarded by done_mutex
  std::set<int64_t> lost;  // batches a failed device held: delivery skips them
  size_t failed_devices = 0;
  std::map<int64_t, DetectedBatch> done;  // finished batches not yet delivered, by sequence
  // Workers detect only batches within this many of the next one to deliver: it bounds the
  // batches held when one slow batch holds up delivery, and the batch delivery waits for is
  // always inside the window, so it never waits behind later ones.
  const int64_t window = static_cast<int64_t>(loop.detectors.size()) * 2;
  int64_t next_to_deliver = 0;
  int running = static_cast<int>(loop.detectors.size());
  bool quit = false;
  std::exception_ptr failure;

  auto work = [&](size_t k) {
    Detector& det = *loop.detectors[k];
    int64_t held = -1, held_first = 0, held_count = 0;  // the batch in hand, for a failure
    bool detecting = false;  // a source's exception is no device's failure
    try {
      for (;;) {
        DetectedBatch b;
        int64_t seq = 0;
        {
          std::lock_guard<std::mutex> lock(source_mutex);
          if (source_ended || stop_asked(loop)) break;
          if (!read_batch(source, det.batch(), b)) source_ended = true;
          if (b.frames.empty()) break;
          seq = next_batch++;
          held = seq;
          held_first = frames_read;
          held_count = static_cast<int64_t>(b.frames.size());
          frames_read += held_count;
        }
        {
          // Waiting here, before the GPU work, keeps a fast worker from racing far ahead.
          std::unique_lock<std::mutex> lock(done_mutex);
          // After a failure the batch in hand is still detected, past the window if need be:
          // a failed batch never arrives, so the window would never move again.
          done_changed.wait(lock,
                            [&] { return quit || failure || seq < next_to_deliver + window; });
          if (quit) break;
        }
        const int64_t t0 = now_ns();
        detecting = true;
        detect(det, k, b);
        detecting = false;
        const double busy = ms_since(t0);
        std::lock_guard<std::mutex> lock(done_mutex);
        runs[k].frames += held_count;
        ++runs[k].batches;
        runs[k].busy_ms += busy;
        runs[k].read_ms += b.stage_ms[static_cast<size_t>(PipelineStage::kRead)];
        held = -1;
        done.emplace(seq, std::move(b));
        done_changed.notify_all();
      }
    } catch (...) {
      std::unique_lock<std::mutex> lock(done_mutex);
      const bool device_failed = pool && detecting;
      if (device_failed) {
        runs[k].failed = true;
        runs[k].error = what_of(std::current_exception());
        if (held >= 0) {
          lost.insert(held);
          for (int64_t f = held_first; f < held_first + held_count; ++f)
            runs[k].lost_frames.push_back(f);
        }
        ++failed_devices;
      }
      // In a pool the other devices take the rest; the run fails only when none is left.
      if (device_failed && failed_devices < loop.detectors.size()) {
        --running;
        done_changed.notify_all();
        return;
      }
      lock.unlock();
      // Not `quit`: the other workers finish the batches they hold, so every batch read before
      // the failure is still delivered; they only stop reading.
      {
        std::lock_guard<std::mutex> source_lock(source_mutex);
        source_ended = true;
      }
      lock.lock();
      if (!failure) failure = std::current_exception();
      done_changed.notify_all();
    }
    std::lock_guard<std::mutex> lock(done_mutex);
    --running;
    done_changed.notify_all();
  };

  std::vector<std::thread> threads;
  for (size_t k = 0; k < loop.detectors.size(); ++k) threads.emplace_back(work, k);
  // A throwing `deliver` must still stop and join the workers: a joinable std::thread's
  // destructor would end the process.
  std::exception_ptr delivery_failure;
  int64_t delivered = 0;
  try {
    for (int64_t seq = 0;; ++seq) {
      DetectedBatch b;
      {
        std::unique_lock<std::mutex> lock(done_mutex);
        // After a failure everything before the failed batch is still delivered; a batch that
        // never comes ends the run once every worker has stopped.
        done_changed.wait(lock, [&] { return done.count(seq) || lost.count(seq) || running == 0; });
        if (lost.count(seq) && !done.count(seq)) {
          next_to_deliver = seq + 1;
          done_changed.notify_all();
          continue;
        }
        auto it = done.find(seq);
        if (it == done.end() || stop_asked(loop)) {
          quit = true;
          done_changed.notify_all();
          break;
        }
        b = std::move(it->second);
        done.erase(it);
        next_to_deliver = seq + 1;
        done_changed.notify_all();
      }
      b.first_frame = delivered;
      delivered += static_cast<int64_t>(b.frames.size());
      if (!deliver(loop, b, /*bracket=*/false) || stop_asked(loop)) {
        std::lock_guard<std::mutex> lock(done_mutex);
        quit = true;
        done_changed.notify_all();
        break;
      }
    }
  } catch (...) {
    delivery_failure = std::current_exception();
    std::lock_guard<std::mutex> lock(done_mutex);
    quit = true;
    done_changed.notify_all();
  }
  for (std::thread& t : threads) t.join();
  if (loop.device_runs) {
    for (size_t k = 0; k < runs.size(); ++k) runs[k].device = loop.devices[k];
    *loop.device_runs = std::move(runs);
  }
  if (delivery_failure) std::rethrow_exception(delivery_failure);
  if (failure) std::rethrow_exception(failure);
  return delivered;
}

}  // namespace

double warm_up(Detector& detector) {
  const Shape& in = detector.model().input_shape;
  const Tensor blank(DType::kUInt8, {in[2], in[3], 3});
  const int64_t t0 = now_ns();
  detector.detect_batch(std::vector<const Tensor*>(static_cast<size_t>(detector.batch()), &blank));
  return ms_since(t0);
}

int64_t run_frame_loop(const FrameLoop& loop) {
  if (loop.detectors.empty()) fail(ErrorKind::kInvalidArgument, "run_frame_loop: no detector");
  if (!loop.source) fail(ErrorKind::kInvalidArgument, "run_frame_loop: no source");
  if (!loop.deliver) fail(ErrorKind::kInvalidArgument, "run_frame_loop: no deliver");
  if (!loop.devices.empty() && loop.devices.size() != loop.detectors.size())
    fail(ErrorKind::kInvalidArgument, "run_frame_loop: ", loop.devices.size(), " device names for ",
         loop.detectors.size(), " detectors");
  if (loop.device_runs) {
    loop.device_runs->assign(loop.detectors.size(), DeviceRun{});
    for (size_t k = 0; k < loop.devices.size(); ++k)
      (*loop.device_runs)[k].device = loop.devices[k];
  }
  return loop.detectors.size() == 1 ? run_inline(loop) : run_threaded(loop);
}

}  // namespace ys
