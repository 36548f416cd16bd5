#include "python/model_binding.h"

#include <sstream>

#include "cli/detector_options.h"
#include "cli/load_detector.h"
#include "cli/ultralytics_keys.h"
#include "core/error.h"
#include "pipeline/frame_loop.h"

namespace ys {
namespace {

// Every field the Detector is built from, so that equal text means an equal Detector.
std::string options_key(const DetectorOptions& o) {
  std::ostringstream os;
  os << o.model << '|' << o.imgsz_h << 'x' << o.imgsz_w << '|' << o.batch << '|' << o.device << '|'
     << o.threads << '|' << o.half << o.cuda_graph << o.gpu_pipeline << o.cudnn_fusion << '|'
     << o.nms.conf << '|' << o.nms.iou << '|' << o.nms.max_det << '|' << o.nms.max_nms << '|'
     << o.nms.agnostic << '|';
  for (int c : o.nms.classes) os << c << ',';
  return os.str();
}

std::unique_ptr<Detector> build(const DetectorOptions& options) {
  // Built in place: a Detector is not movable, and load_detector's result is a prvalue.
  std::unique_ptr<Detector> detector(new Detector(load_detector(options)));
  // As the yolo command does: the first, cold inference is no frame of any run.
  warm_up(*detector);
  return detector;
}

// One key the way the command line takes it, including its refusal of the Ultralytics keys that
// YoloScope does not implement (cli/ultralytics_keys.h).
void apply_python_setting(Config& config, const std::string& key, const std::string& text) {
  if (key == "source" || key == "model") {
    fail(ErrorKind::kInvalidArgument, "'", key, "' is not a keyword of predict here: give the ",
         key == "source" ? "source as predict's first argument, model.predict(source)"
                         : "model to the constructor, YOLO(model)");
  }
  if (const ForeignKey* foreign = find_foreign_key(key)) {
    std::string refusal = check_foreign_key(*foreign, text);
    if (!refusal.empty()) fail(ErrorKind::kInvalidArgument, refusal);
    return;
  }
  config.set(key, text);
}

}  // namespace

YoloModel::YoloModel(const std::string& model, const Settings& settings) : settings_(settings) {
  settings_.insert(settings_.begin(), {"model", model});
  const DetectorOptions options = detector_options(config({}));
  detector_ = build(options);
  detector_key_ = options_key(options);
  description_ = detector_->model();
}

Config YoloModel::config(const Settings& settings) const {
  Config c;
  c.set("save", "False");
  c.given.erase("save");
  for (const auto& [key, text] : settings_) {
    if (key == "model")
      c.set(key, text);
    else
      apply_python_setting(c, key, text);
  }
  for (const auto& [key, text] : settings) apply_python_setting(c, key, text);
  return c;
}

std::pair<Detector*, std::unique_lock<std::mutex>> YoloModel::acquire(const Config& config) {
  std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) {
    fail(ErrorKind::kUnsupported, "model ", description().name,
         " is still running an earlier predict (a stream=True generator not yet exhausted or "
         "closed?): finish or close it first, or give each thread its own YOLO object");
  }
  const DetectorOptions options = detector_options(config);
  if (const std::string key = options_key(options); key != detector_key_) {
    detector_.reset();  // the old one's memory is free before the new one takes its own
    detector_key_.clear();
    detector_ = build(options);
    detector_key_ = key;
    description_ = detector_->model();
  }
  return {detector_.get(), std::move(lock)};
}

}  // namespace ys
