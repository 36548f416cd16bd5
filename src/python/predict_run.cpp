#include "python/predict_run.h"

#include "core/error.h"
#include "core/log.h"

namespace ys {
namespace {

// Batches decoded ahead of Python: enough that Python's work on one overlaps detection of the
// next, few enough that a 4K video does not pile up frames.
constexpr size_t kQueueDepth = 2;

ProfileSchedule schedule_from(const Config& c) {
  std::vector<int> s = c.get_int_list("profile_schedule");
  ProfileSchedule p;
  p.wait = s.at(0);
  p.warmup = s.at(1);
  p.active = s.at(2);
  p.repeat = s.size() > 3 ? s[3] : 1;
  return p;
}

// As the yolo command does: a source shorter than the schedule is measured whole, with one
// warm-up frame when it has two or more.
ProfileSchedule fit_schedule(ProfileSchedule s, std::optional<int64_t> frames) {
  if (!frames || *frames <= 0 || *frames >= s.wait + s.warmup + 1) return s;
  ProfileSchedule f;
  f.warmup = *frames >= 2 ? 1 : 0;
  f.active = *frames - f.warmup;
  log_warn("the source has only ", *frames, " frame(s), fewer than profile_schedule=", s.str(),
           " needs; measuring ", f.active, " frame(s) after ", f.warmup, " warm-up frame(s)");
  return f;
}

SinkOptions sink_options(const Config& c, const ModelDescription& model) {
  SinkOptions so;
  so.project = c.get_string("project");
  so.name = c.get_string("name");
  so.exist_ok = c.get_bool("exist_ok");
  so.save = c.get_bool("save");
  so.save_txt = c.get_bool("save_txt");
  so.save_conf = c.get_bool("save_conf");
  so.save_json = c.get_bool("save_json");
  so.names = model.names;
  so.vid_stride = c.get_int("vid_stride");
  return so;
}

}  // namespace

SourceSpec source_spec(const std::string& source, const Config& c) {
  SourceSpec spec;
  spec.source = source;
  std::vector<int> raw = c.get_int_list("raw_size");
  if (raw.size() == 2) {
    spec.raw_width = raw[0];
    spec.raw_height = raw[1];
  }
  spec.raw_fps = c.get_float("raw_fps");
  spec.synthetic_frames = c.get_int("frames");
  if (c.get_bool("profile") && source == "synthetic" && !c.is_set("frames")) {
    const ProfileSchedule s = schedule_from(c);
    if (s.repeat > 0) spec.synthetic_frames = s.wait + s.warmup + s.active * s.repeat;
  }
  spec.vid_stride = c.get_int("vid_stride");
  spec.max_pixels = c.get_int("max_pixels");
  return spec;
}

PredictRun::PredictRun(Detector& detector, std::unique_lock<std::mutex> model_lock,
                       std::unique_ptr<Source> source, const Config& config,
                       std::vector<std::pair<std::string, std::string>> args)
    : detector_(detector),
      model_lock_(std::move(model_lock)),
      source_(std::move(source)),
      config_(config),
      args_(std::move(args)) {
  const SinkOptions so = sink_options(config_, detector_.model());
  if (so.save || so.save_txt || so.save_json) {
    sink_ = std::make_unique<ResultSink>(so);
    run_dir_ = sink_->dir();
  }
  if (config_.get_bool("profile")) {
    if (run_dir_.empty()) run_dir_ = make_run_dir(so.project, so.name, so.exist_ok);
    schedule_ = fit_schedule(schedule_from(config_), source_->size());
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
