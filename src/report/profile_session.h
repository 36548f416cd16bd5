// Profiling a Detector from start to report, for the CLI and for programs using the library:
// attach it, bracket each frame with begin_frame / end_frame (and the read and output stages
// the caller owns), then finish() analyses the window and writes <dir>/summary.json,
// trace.json, layers.csv and report.html.
#pragma once

#include <memory>
#include <string>

#include "pipeline/detector.h"
#include "profiler/profiler.h"
#include "profiler/resource_sampler.h"
#include "report/profile_report.h"

namespace ys {

struct ProfileResult {
  std::string dir;
  std::string console;  // the summary printed by the CLI
  nlohmann::json summary;
};

class ProfileSession {
 public:
  ProfileSession(Detector& detector, ProfileSchedule schedule);
  ~ProfileSession();
  ProfileSession(const ProfileSession&) = delete;
  ProfileSession& operator=(const ProfileSession&) = delete;

  void begin_frame(int64_t index);
  void end_frame();
  // For the stages the caller runs itself (read, output).
  void stage_begin(PipelineStage s) { profiler_.stage_begin(s); }
  void stage_end(PipelineStage s) { profiler_.stage_end(s); }
  // True once the schedule's active frames are all recorded.
  bool finished() const { return profiler_.finished(); }
  const Profiler& profiler() const { return profiler_; }

  // Detaches from the detector, analyses and writes the reports. `advice` goes into the summary
  // as given.
  ProfileResult finish(const std::string& dir, const RunInfo& run,
                       const nlohmann::json& advice = nlohmann::json::array());

 private:
  Detector& detector_;
  Profiler profiler_;
  std::unique_ptr<ResourceSampler> sampler_;
  bool attached_ = true;
};

// What a report says about the model a detector runs.
ModelInfo describe_model(const Detector& detector);

}  // namespace ys
