// Profiling a Detector from start to report, for the CLI and for programs using the library:
// attach it, bracket each frame with begin_frame / end_frame (and the read and output stages
// the caller owns), then finish() analyses the window and writes <dir>/summary.json,
// trace.json, layers.csv and report.html. Between frames the caller hands each measured image to
// record_input (input representativeness, and the frames a what-if run repeats); finish() runs
// the advisor and, when asked, verifies its findings by repeating those frames (session/whatif.h).
// A session is also a FrameObserver: listed in a FrameLoop's observers (with that one detector),
// it makes all of those calls itself.
//
// Several devices (device=0,1; issue 21): a session made over a DetectorPool's detectors records
// each delivered batch with the stage times its device measured and which device ran it, samples
// NVML on every GPU of the pool, and at finish() (given the loop's DeviceRuns) adds a profile per
// device: summary.json's "devices" and "device_balance", a timeline lane per device, a console
// line per device and the advisor's several-device rules. The devices run on threads of their
// own, which the op hooks cannot follow: such a profile has stage times but no layer or op times.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "analysis/advisor.h"
#include "analysis/device_profile.h"
#include "analysis/input_stats.h"
#include "pipeline/detector.h"
#include "pipeline/frame_loop.h"
#include "profiler/gpu_profiler.h"
#include "profiler/nvml_sampler.h"
#include "profiler/profiler.h"
#include "profiler/resource_sampler.h"
#include "report/advice_report.h"
#include "report/profile_report.h"
#include "session/long_run.h"

namespace ys {

struct ProfileResult {
  std::string dir;
  std::string console;  // the summary printed by the CLI
  nlohmann::json summary;
  std::vector<Finding> findings;  // as in summary["advice"]
};

class ProfileSession : public FrameObserver {
 public:
  // With `whatif`, up to kWhatIfFrames measured images are kept for verify_finding. On a GPU,
  // traced frames also time each layer on the device with CUDA events, and with `gpu_detailed`
  // record every kernel, copy and synchronisation through CUPTI; NVML is sampled throughout.
  // With `long_run` (profile_detail=long), every frame also goes to a LongRun: per-second
  // buckets, spikes, their flight records and blame, summary.json checkpoints in its dir.
  ProfileSession(Detector& detector, ProfileSchedule schedule, bool whatif = false,
                 bool gpu_detailed = false, std::optional<LongRunOptions> long_run = std::nullopt);
  // Over the detectors of a device pool, one name per detector (DetectorPool::devices(); a name
  // repeats where a device holds several detectors). finish() then takes one run per device
  // (merge_device_runs).
  ProfileSession(const std::vector<Detector*>& pool, const std::vector<std::string>& devices,
                 ProfileSchedule schedule);
  ~ProfileSession();
  ProfileSession(const ProfileSession&) = delete;
  ProfileSession& operator=(const ProfileSession&) = delete;

  void begin_frame(int64_t index);
  void end_frame();
  // For the stages the caller runs itself (read, output).
  void stage_begin(PipelineStage s) override {
    if (pool_.empty()) stages_->stage_begin(s);
  }
  void stage_end(PipelineStage s) override {
    if (pool_.empty()) stages_->stage_end(s);
  }
  // After end_frame, once per image of the frame: measures the input if the frame was in the
  // measured window. `candidates`: the image's boxes that entered NMS.
  void record_input(const Tensor& image, int64_t index, int64_t detections, int64_t candidates);
  // The frame loop's hooks: batch_begin is begin_frame; batch_end is end_frame, then
  // record_input for each image of a delivered batch.
  void batch_begin(int64_t first_frame) override {
    if (pool_.empty()) begin_frame(first_frame);
  }
  bool batch_end(const DetectedBatch& batch, bool delivered) override;
  // True once the schedule's active frames are all recorded.
  bool finished() const { return profiler_.finished(); }
  // A long run whose profile_duration is over: the caller stops reading frames.
  bool done() const { return long_ && long_->done(); }
  const Profiler& profiler() const { return profiler_; }
  // The long run's recorder (its spikes, for the live metrics); nullptr unless profile_detail=long.
  // For the frame loop's thread only, which is the one writing it.
  LongRecorder* long_recorder() { return long_ ? &long_->recorder() : nullptr; }

  // Detaches from the detector, analyses, runs the advisor (with what-if runs when the session
  // was made with `whatif`) and writes the reports. `facts` describes the run as asked; the
  // session adds what it measured (cores, other load, synthetic weights). A pool's session takes
  // what the frame loop counted per device (FrameLoop::device_runs).
  ProfileResult finish(const std::string& dir, const RunInfo& run, RunFacts facts = {},
                       const std::vector<DeviceRun>& device_runs = {});

  static constexpr size_t kWhatIfFrames = 32;
  static constexpr size_t kWhatIfBytes = size_t{256} << 20;
  // Batches of a pool's measured window kept for the per-device figures and lanes.
  static constexpr size_t kMaxDeviceBatches = 20000;

 private:
  Detector& detector_;
  Profiler profiler_;
  std::unique_ptr<ResourceSampler> sampler_;
  std::unique_ptr<GpuProfiler> gpu_;    // only on a GPU backend
  std::unique_ptr<LongRun> long_;       // profile_detail=long only
  StageObserver* stages_ = &profiler_;  // in a long run, its hook, which forwards to profiler_
  bool attached_ = true;
  bool whatif_ = false;
  bool last_measured_ = false;
  std::vector<std::string> notes_;  // added to the run's notes by finish()
  InputStatsRecorder input_;
  std::vector<Tensor> kept_;
  size_t kept_bytes_ = 0;
  std::pair<int64_t, int64_t> cpu_start_;  // busy and total jiffies of all CPUs
  // A device pool's session only: its detectors, its devices (each once) and each detector's,
  // the GPU NVML samples for each device (-1: none), the measured batches and when the last
  // batch was delivered.
  std::vector<Detector*> pool_;
  std::vector<std::string> pool_devices_;
  std::vector<size_t> device_of_;  // per detector, into pool_devices_
  std::vector<int> nvml_index_;
  std::unique_ptr<NvmlSampler> pool_nvml_;
  std::vector<NvmlSample> pool_samples_;  // pool_nvml_'s, once stopped
  std::vector<DeviceBatch> device_batches_;
  int64_t last_batch_ns_ = 0;

  bool pool_batch_end(const DetectedBatch& batch, bool delivered);
  // The per-device figures of a pool's run, from the loop's counts, the measured batches and NVML.
  DeviceProfile pool_profile(const std::vector<DeviceRun>& runs);
};

// What a report says about the model a detector runs.
ModelInfo describe_model(const Detector& detector);

}  // namespace ys
