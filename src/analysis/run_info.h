// What a profile's figures are of: the model, the run's settings and (profiler/environment.h)
// the machine. The profiled run fills them in; every writer of the reports reads them beside the
// analysed figures, so report/ needs nothing from the collectors.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/startup_timeline.h"
#include "core/tensor.h"
#include "profiler/environment.h"
#include "profiler/schedule.h"

namespace ys {

struct ModelInfo {
  std::string name, path, sha256, family;
  bool synthetic_weights = false;
  Shape input_shape;
  int64_t parameters = 0;
  double gflops = 0;
  int64_t layers = 0, ops = 0;
};

struct RunInfo {
  std::string source;
  int64_t frames_total = 0;
  ProfileSchedule schedule;
  int64_t batch = 1;
  std::string device, backend;
  int threads = 0;
  std::vector<std::pair<std::string, std::string>> args;
  // What the reader must know to trust the figures: a source shorter than the schedule, a
  // setting that did nothing on this device. Shown in the console, summary.json and the report.
  std::vector<std::string> notes;
  // Where the process's start-up went up to its first result (incomplete: not a `yolo` run).
  StartupBreakdown startup;
};

}  // namespace ys
