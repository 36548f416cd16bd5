// A long run (profile_detail=long): the long recorder on every frame, the /proc and NVML samplers
// with bounded histories, and a checkpoint thread that, once a second, keeps the samplers'
// evidence of each spike that has ended (before their histories forget it), and every
// checkpoint period writes summary.json atomically, so that a run killed at any moment (SIGKILL,
// power loss) leaves a valid one at most that old. finish() returns the final sections for the
// session's summary. A test hook (YS_TEST_GPU_PULL=<period_s>:<MiB>) plants a periodic
// synchronous device-to-host copy inside our own frames on a GPU, for scripts/gpu_check.sh. On a
// GPU, CUPTI traces the frames long_gpu_arming.h arms into a bounded ring; each tick flushes it
// and fills finished flight records with the kernels, copies and waits of their frames.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "analysis/gpu_memory.h"
#include "analysis/spike_analysis.h"
#include "pipeline/detector.h"
#include "profiler/gpu_record_ring.h"
#include "profiler/host_sampler.h"
#include "profiler/long_recorder.h"
#include "profiler/nvml_sampler.h"
#include "report/long_report.h"
#include "session/long_gpu_arming.h"

namespace ys {

struct LongRunOptions {
  std::string dir;           // the profile folder: <dir>/summary.json
  double duration_s = 0;     // stop after this long (0: when the source ends)
  double checkpoint_s = 30;  // summary.json at least this often
  int host_period_ms = 100;  // /proc sampling (0: off)
  int nvml_period_ms = 100;  // on a GPU (0: off)
  LongRecorderOptions recorder;
  // On a GPU: the ring CUPTI streams into (the session's GpuProfiler fills it), or why there is
  // none; the duty cycle of traced bursts (GpuArming).
  std::shared_ptr<GpuRecordRing> gpu_ring;
  std::string gpu_kernels_why;
  double gpu_duty_period_s = 10, gpu_duty_on_s = 0.2;
};

struct LongRunResult {
  nlohmann::json long_section, spikes_section;
  SpikeReport spikes;
  std::string console;
};

class LongRun {
 public:
  // `next`: the stage observer that also sees every stage (the session's window profiler).
  LongRun(Detector& detector, LongRunOptions options, StageObserver* next);
  ~LongRun();
  LongRun(const LongRun&) = delete;
  LongRun& operator=(const LongRun&) = delete;

  // As the session's: returns true when the frame's ops should go to recorder() as observer.
  bool begin_frame(int64_t index);
  // After begin_frame, for a frame outside the window: whether CUPTI traces it (an op-traced
  // frame that the duty cycle or a predicted occurrence arms); the recorder notes it.
  bool arm_gpu(bool traced);
  void end_frame() { recorder_.end_frame(); }
  LongRecorder& recorder() { return recorder_; }
  StageObserver* stage_observer() { return &hook_; }
  // True once profile_duration is over: the caller stops reading frames.
  bool done() const;
  // Stops the samplers and the checkpoint thread; the final sections (also written to
  // summary.json by the session).
  LongRunResult finish();

 private:
  // Forwards stages to the recorder; the GPU pull hook runs before inference.
  struct Hook final : StageObserver {
    LongRun* run = nullptr;
    void stage_begin(PipelineStage s) override;
    void stage_end(PipelineStage s) override { run->recorder_.stage_end(s); }
  };
  void loop();
  void capture_evidence(bool all);
  void write_checkpoint(bool final);
  nlohmann::json build(bool final, LongRunResult* out);
  void maybe_pull();
  void gpu_tick(bool final);
  void update_arming();
  nlohmann::json gpu_kernels_json() const;

  Detector& detector_;
  LongRunOptions opt_;
  std::vector<LayerResult> layers_;
  int cores_ = 1;
  LongRecorder recorder_;
  Hook hook_;
  std::unique_ptr<HostSampler> host_;
  std::unique_ptr<NvmlSampler> nvml_;
  std::string nvml_why_;

  mutable std::mutex mu_;  // guards the NVML ring, the memory timeline and the evidence
  std::vector<NvmlSample> nvml_ring_;
  GpuMemoryRecorder gpu_memory_{0, 0};  // the whole run's device memory, bounded
  std::map<size_t, SpikeEvidence> evidence_;
  std::vector<std::pair<int64_t, int64_t>> busy_;  // every occurrence's window so far
  size_t captured_ = 0;

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;

  // CUPTI for the flight records: the arming is read by the frame thread, written by the tick.
  std::shared_ptr<GpuRecordRing> ring_;
  GpuArming arming_;
  std::atomic<int64_t> arm_period_ns_{0}, arm_phase_ns_{0}, arm_lead_ns_{0}, arm_lag_ns_{0};
  std::atomic<int64_t> gpu_frames_{0};
  std::vector<double> occ_t_s_;  // the latest occurrences' begins, for the period
  double occ_frame_ms_ = 0, occ_ms_ = 0;
  size_t occ_seen_ = 0;
  int ticks_ = 0;

  // Test hook: a device buffer pulled to pageable host memory every pull_period_ns_.
  int64_t pull_period_ns_ = 0, next_pull_ns_ = 0;
  size_t pull_bytes_ = 0;
  void* pull_device_ = nullptr;
  std::vector<char> pull_host_;
};

}  // namespace ys
