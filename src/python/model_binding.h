// What a Python `YOLO(...)` object holds: its model's settings (model=, device=, any key given to
// the constructor) over the yolo command's defaults, and the Detector built from them. A
// predict's keyword arguments go through the command's own table (cli/arg_table.h, Config::set)
// as the text the command line would take, so they are checked, and their mistakes worded, exactly
// as `yolo predict key=value` words them. The Detector is built again only when a key it is made
// from changes (imgsz, conf, device, ...).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cli/args.h"
#include "pipeline/detector.h"

namespace ys {

// key, value as the command line writes it ("0.3", "[0, 2]", "True", "None").
using Settings = std::vector<std::pair<std::string, std::string>>;

class YoloModel {
 public:
  // Builds the Detector at once, so that a bad model= or device= fails here. Throws ys::Error.
  YoloModel(const std::string& model, const Settings& settings);

  // The run's Config: the yolo command's defaults, save=False as in Ultralytics' Python API, the
  // model's settings, then `settings`. Throws ys::Error(kInvalidArgument) with the CLI's message.
  Config config(const Settings& settings) const;

  // The Detector for `config` (built again when one of its keys changed), with the lock that a
  // run holds while it uses it. Throws ys::Error(kUnsupported) when another run still holds it:
  // one Detector runs one batch at a time.
  std::pair<Detector*, std::unique_lock<std::mutex>> acquire(const Config& config);

  // As of the last Detector built.
  const ModelDescription& description() const { return description_; }

 private:
  Settings settings_;
  std::mutex busy_;
  std::unique_ptr<Detector> detector_;
  std::string detector_key_;  // the options detector_ was built with; empty when there is none
  ModelDescription description_;
};

}  // namespace ys
