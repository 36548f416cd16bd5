// One `model.predict(...)`: the pipeline's frame loop (pipeline/frame_loop.h) on a thread of its
// own, handing batches to the Python thread through a short queue. Python iterates at its pace
// (stream=True is a generator over it; stream=False drains it into a list) while detection runs
// without the GIL, so two Python threads with two models detect at once. Saved outputs
// (save=, save_txt=, save_json=) and the profiler (profile=True) are those of the yolo command.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/args.h"
#include "pipeline/frame_loop.h"
#include "pipeline/sink.h"
#include "session/profile_session.h"

namespace ys {

class PredictRun {
 public:
  // Holds `model_lock` (the model's, taken by the caller) until the run ends: a Detector runs one
  // batch at a time. Starts the loop at once.
  // `args`: the keys the caller gave, as text, for the profile's record of the run.
  // `spec`: the source's spec when it is one path-like item (a saved video takes its frame rate).
  PredictRun(Detector& detector, std::unique_lock<std::mutex> model_lock,
             std::unique_ptr<Source> source, std::optional<SourceSpec> spec, const Config& config,
             std::vector<std::pair<std::string, std::string>> args);
  ~PredictRun();  // stops the loop and waits for it
  PredictRun(const PredictRun&) = delete;
  PredictRun& operator=(const PredictRun&) = delete;

  enum class Next { kBatch, kTimeout, kEnd };
  // The next batch in source order, waiting at most `wait` for it. kEnd once every batch has
  // been taken; a failure of the loop (a source or output that broke) is rethrown there.
  Next next(DetectedBatch& batch, std::chrono::milliseconds wait);
  // Ends the loop after the batch in progress (an interrupt, a generator closed early).
  void stop();

  // After kEnd: closes the outputs, writes the profile's reports (profile=True) and gives them.
  // Throws ys::Error when an output could not be completed.
  std::optional<ProfileResult> finish();

 private:
  bool deliver(const DetectedBatch& batch);
  void join();

  Detector& detector_;
  std::unique_lock<std::mutex> model_lock_;
  std::unique_ptr<Source> source_;
  std::optional<SourceSpec> spec_;
  Config config_;
  std::vector<std::pair<std::string, std::string>> args_;
  std::unique_ptr<ResultSink> sink_;
  std::filesystem::path run_dir_;
  ProfileSchedule schedule_;
  std::unique_ptr<ProfileSession> profile_;
  int64_t frames_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<DetectedBatch> queue_;
  std::atomic<bool> stop_{false};
  bool loop_done_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace ys
