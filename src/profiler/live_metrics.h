// LiveMetrics: the figures of a run in progress, for Prometheus' /metrics, the live dashboard and
// the console progress bar. The thread that runs the pipeline writes them with relaxed atomic adds
// and stores: no lock, no allocation and no system call on its side, so a reader (a scrape, a
// dashboard poll) can never make a frame wait, however often or slowly it reads. snapshot() copies
// them out; each figure in a snapshot is exact, but they are not all taken at one instant (a frame
// may be in frames but not yet in a histogram), which Prometheus' own client libraries accept too.
// GPU gauges come from an NVML sampler thread (start_gpu_gauges), never from a scrape.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/postprocess.h"
#include "pipeline/stages.h"

namespace ys {

class NvmlSampler;

// Upper bounds of the stage-time histogram's buckets in seconds, 0.1 ms to 10 s, 20 per decade
// (each 12% above the last), so that a quantile interpolated inside a bucket is off by 6% on
// average and 12% at most. A +Inf bucket follows.
constexpr size_t kStageBucketCount = 101;
const std::array<double, kStageBucketCount>& stage_bucket_bounds();

// The GPUs a run can publish; more are left out of the gauges.
constexpr size_t kMaxLiveGpus = 8;

struct StageHistogram {
  std::array<uint64_t, kStageBucketCount + 1> counts{};  // per bucket, not cumulative; last: +Inf
  uint64_t count = 0;
  uint64_t sum_ns = 0;
};

// The last NVML reading of one device; NaN where NVML gave nothing.
struct GpuGauges {
  int device = 0;
  double utilization_ratio = 0, memory_used_bytes = 0, sm_clock_hertz = 0, power_watts = 0;
  double throttled = 0;  // 1 while a clock-event reason other than idle is active
};

struct LiveSnapshot {
  int64_t t_ns = 0, start_ns = 0;  // host steady clock
  int64_t end_ns = 0;              // when set_finished was called; 0 before
  uint64_t frames = 0;             // images through the whole pipeline
  uint64_t batches = 0;
  std::vector<std::string> class_names;
  std::vector<uint64_t> detections;  // per class, then one for ids outside the names
  std::array<StageHistogram, kPipelineStageCount> stages{};
  int64_t batch_size = 0;  // images in the last inference call
  uint64_t spikes = 0;
  double spike_period_seconds = 0;  // 0: no period found
  std::vector<GpuGauges> gpus;
  double process_cpu_seconds = 0;
  double resident_memory_bytes = 0;
  double recording_seconds = 0;            // time spent in record_batch itself
  std::optional<int64_t> frames_expected;  // the source's length, when known
  bool finished = false;
  bool report_ready = false;  // report.html has been written
  std::string version, backend, model;
};

class LiveMetrics {
 public:
  LiveMetrics(std::vector<std::string> class_names, std::string backend, std::string model);
  ~LiveMetrics();
  LiveMetrics(const LiveMetrics&) = delete;
  LiveMetrics& operator=(const LiveMetrics&) = delete;

  // One batch through the pipeline: each stage's seconds (a negative value: the stage did not
  // run), the images in it and their detections. Called by one thread, the one running the loop.
  void record_batch(const std::array<double, kPipelineStageCount>& stage_seconds, int images,
                    const std::vector<std::vector<Detection>>& detections);
  void set_frames_expected(std::optional<int64_t> frames);
  void set_spikes(uint64_t count, double period_seconds);
  // From the NVML sampler's thread; `slot` is the device's place in the sampled list.
  void publish_gpu(size_t slot, const GpuGauges& g);
  void set_finished(bool report_ready);

  // Reads every figure, and the process's CPU time and resident memory from /proc.
  LiveSnapshot snapshot() const;

 private:
  struct Atomics;
  std::unique_ptr<Atomics> a_;
  std::vector<std::string> class_names_;
  std::string backend_, model_;
};

// Samples `devices` every `period_ms` on a thread of its own and publishes each reading into
// `metrics`, keeping no history. Returns nullptr when NVML is unavailable (no driver: the gauges
// then stay absent from /metrics).
std::unique_ptr<NvmlSampler> start_gpu_gauges(LiveMetrics& metrics, const std::vector<int>& devices,
                                              int period_ms = 500);

}  // namespace ys
