#include "python/predict_run.h"

#include "cli/predict_options.h"
#include "core/error.h"
#include "core/log.h"

namespace ys {
namespace {

// Batches decoded ahead of Python: enough that Python's work on one overlaps detection of the
// next, few enough that a 4K video does not pile up frames.
constexpr size_t kQueueDepth = 2;

}  // namespace

PredictRun::PredictRun(Detector& detector, std::unique_lock<std::mutex> model_lock,
                       std::unique_ptr<Source> source, std::optional<SourceSpec> spec,
                       const Config& config, std::vector<std::pair<std::string, std::string>> args)
    : detector_(detector),
      model_lock_(std::move(model_lock)),
      source_(std::move(source)),
      spec_(std::move(spec)),
      config_(config),
      args_(std::move(args)) {
  const SinkOptions so = sink_options(config_, detector_.model(), spec_ ? &*spec_ : nullptr);
  if (so.save || so.save_txt || so.save_json) {
    sink_ = std::make_unique<ResultSink>(so);
    run_dir_ = sink_->dir();
  }
  if (config_.get_bool("profile")) {
    if (run_dir_.empty()) run_dir_ = make_run_dir(so.project, so.name, so.exist_ok);
    schedule_ =
        fit_schedule(schedule_from(config_), source_->size(), config_.is_set("profile_schedule"));
    profile_ =
        std::make_unique<ProfileSession>(detector_, schedule_, config_.get_bool("profile_whatif"),
                                         config_.get_string("profile_detail") == "detailed");
  }
  // Read ahead by a batch and a little more, as the yolo command does.
  source_ = prefetch_source(std::move(source_), detector_.batch() + 2);
  thread_ = std::thread([this] {
    FrameLoop loop{.detectors = {&detector_},
                   .source = source_.get(),
                   .deliver = [this](const DetectedBatch& b) { return deliver(b); },
                   .stop = &stop_};
    if (profile_) loop.observers.push_back(profile_.get());
    std::exception_ptr error;
    try {
      run_frame_loop(loop);
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = error;
    loop_done_ = true;
    changed_.notify_all();
  });
}

PredictRun::~PredictRun() {
  stop();
  join();
}

bool PredictRun::deliver(const DetectedBatch& batch) {
  if (sink_)
    for (size_t i = 0; i < batch.frames.size(); ++i)
      sink_->write(batch.frames[i], batch.detections[i]);  // a failure ends the run, rethrown
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return queue_.size() < kQueueDepth || stop_; });
  if (stop_) return false;
  queue_.push_back(batch);
  frames_ += static_cast<int64_t>(batch.frames.size());
  changed_.notify_all();
  return true;
}

PredictRun::Next PredictRun::next(DetectedBatch& batch, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, wait, [this] { return !queue_.empty() || loop_done_; }))
    return Next::kTimeout;
  if (!queue_.empty()) {
    batch = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
    return Next::kBatch;
  }
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return Next::kEnd;
}

void PredictRun::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_ = true;
  source_->cancel();
  changed_.notify_all();
}

void PredictRun::join() {
  if (thread_.joinable()) thread_.join();
}

std::optional<ProfileResult> PredictRun::finish() {
  join();
  if (sink_) sink_->close();
  std::optional<ProfileResult> result;
  if (profile_) {
    RunInfo run;
    run.source = source_->describe();
    run.frames_total = frames_;
    run.schedule = schedule_;
    run.batch = detector_.batch();
    run.device = detector_.options().device;
    run.backend = detector_.executor().backend().name();
    run.threads = detector_.options().threads;
    run.args = args_;
    RunFacts facts;
    facts.device = detector_.options().device;
    facts.half = detector_.options().half;
    facts.cuda_graph = detector_.options().cuda_graph;
    facts.gpu_pipeline = detector_.options().gpu_pipeline;
    facts.batch = detector_.batch();
    facts.threads = detector_.options().threads;
    facts.conf = detector_.options().nms.conf;
    result = profile_->finish((run_dir_ / "profile").string(), run, facts);
    profile_.reset();
  }
  if (model_lock_.owns_lock()) model_lock_.unlock();
  return result;
}

}  // namespace ys
