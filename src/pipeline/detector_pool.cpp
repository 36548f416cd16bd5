#include "pipeline/detector_pool.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "core/error.h"

namespace ys {

void run_detectors(const std::vector<Detector*>& detectors, Source& source,
                   const std::function<bool(DetectedBatch&)>& deliver,
                   const std::atomic<bool>& stop) {
  if (detectors.empty()) fail(ErrorKind::kInvalidArgument, "run_detectors: no detector");
  std::mutex source_mutex, done_mutex;
  std::condition_variable done_changed;
  int64_t next_batch = 0;
  bool source_ended = false;
  std::map<int64_t, DetectedBatch> done;  // finished batches not yet delivered, by sequence
  // Workers detect only batches within this many of the next one to deliver: it bounds the
  // batches held when one slow batch holds up delivery, and the batch delivery waits for is
  // always inside the window, so it never waits behind later ones.
  const int64_t window = static_cast<int64_t>(detectors.size()) * 2;
  int64_t next_to_deliver = 0;
  int running = static_cast<int>(detectors.size());
  bool quit = false;
  std::exception_ptr failure;

  auto work = [&](Detector& det) {
    try {
      for (;;) {
        DetectedBatch b;
        int64_t seq = 0;
        {
          std::lock_guard<std::mutex> lock(source_mutex);
          if (source_ended || stop) break;
          Frame f;
          while (static_cast<int>(b.frames.size()) < det.batch() && source.next(f))
            b.frames.push_back(std::move(f));
          if (static_cast<int>(b.frames.size()) < det.batch()) source_ended = true;
          if (b.frames.empty()) break;
          seq = next_batch++;
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
        std::vector<const Tensor*> images;
        for (const Frame& f : b.frames) images.push_back(&f.image);
        b.detections = det.detect_batch(images);
        b.stage_ms = det.last_stage_ms();
        std::lock_guard<std::mutex> lock(done_mutex);
        done.emplace(seq, std::move(b));
        done_changed.notify_all();
      }
    } catch (...) {
      // Not `quit`: the other workers finish the batches they hold, so every batch read before
      // the failure is still delivered; they only stop reading.
      {
        std::lock_guard<std::mutex> lock(source_mutex);
        source_ended = true;
      }
      std::lock_guard<std::mutex> lock(done_mutex);
      if (!failure) failure = std::current_exception();
      done_changed.notify_all();
    }
    std::lock_guard<std::mutex> lock(done_mutex);
    --running;
    done_changed.notify_all();
  };

  std::vector<std::thread> threads;
  for (Detector* d : detectors) threads.emplace_back(work, std::ref(*d));
  // A throwing `deliver` must still stop and join the workers: a joinable std::thread's
  // destructor would end the process.
  std::exception_ptr delivery_failure;
  try {
    for (int64_t seq = 0;; ++seq) {
      DetectedBatch b;
      {
        std::unique_lock<std::mutex> lock(done_mutex);
        // After a failure everything before the failed batch is still delivered; a batch that
        // never comes ends the run once every worker has stopped.
        done_changed.wait(lock, [&] { return done.count(seq) || running == 0; });
        auto it = done.find(seq);
        if (it == done.end() || stop) {
          quit = true;
          done_changed.notify_all();
          break;
        }
        b = std::move(it->second);
        done.erase(it);
        next_to_deliver = seq + 1;
        done_changed.notify_all();
      }
      if (!deliver(b) || stop) {
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
  if (delivery_failure) std::rethrow_exception(delivery_failure);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace ys
