// LiveMetrics: what one batch adds, where a stage time lands among the buckets, GPU gauges from
// the NVML thread, and that snapshots taken while the pipeline writes see every figure grow and
// end exact.
#include "profiler/live_metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "profiler/nvml_sampler.h"

namespace ys {
namespace {

std::array<double, kPipelineStageCount> stages(double read, double inference) {
  std::array<double, kPipelineStageCount> s;
  s.fill(-1);
  s[static_cast<size_t>(PipelineStage::kRead)] = read;
  s[static_cast<size_t>(PipelineStage::kInference)] = inference;
  return s;
}

size_t bucket_of(const StageHistogram& h) {
  for (size_t b = 0; b < h.counts.size(); ++b)
    if (h.counts[b]) return b;
  return h.counts.size();
}

TEST(LiveMetrics, BucketsRunFromATenthOfAMillisecondToTenSeconds) {
  const auto& b = stage_bucket_bounds();
  EXPECT_DOUBLE_EQ(b.front(), 1e-4);
  EXPECT_DOUBLE_EQ(b.back(), 10.0);
  EXPECT_DOUBLE_EQ(b[20], 1e-3);
  for (size_t i = 1; i < b.size(); ++i) {
    EXPECT_GT(b[i], b[i - 1]);
    EXPECT_LT(b[i] / b[i - 1], 1.13) << "bucket " << i;
  }
}

TEST(LiveMetrics, ABatchCountsItsImagesDetectionsAndStages) {
  LiveMetrics m({"person", "car"}, "cpu", "yolov8n.onnx");
  m.record_batch(stages(0.002, 0.04), 2,
                 {{{0, 0, 1, 1, 0.9f, 1}, {0, 0, 1, 1, 0.8f, 1}},
                  {{0, 0, 1, 1, 0.5f, 0}, {0, 0, 1, 1, 0.5f, 7}}});
  const LiveSnapshot s = m.snapshot();
  EXPECT_EQ(s.frames, 2u);
  EXPECT_EQ(s.batches, 1u);
  EXPECT_EQ(s.batch_size, 2);
  ASSERT_EQ(s.detections.size(), 3u);
  EXPECT_EQ(s.detections[0], 1u);
  EXPECT_EQ(s.detections[1], 2u);
  EXPECT_EQ(s.detections[2], 1u) << "a class id beyond the names is counted apart";
  const StageHistogram& inf = s.stages[static_cast<size_t>(PipelineStage::kInference)];
  EXPECT_EQ(inf.count, 1u);
  EXPECT_EQ(inf.sum_ns, 40'000'000u);
  const size_t b = bucket_of(inf);
  ASSERT_LT(b, kStageBucketCount);
  EXPECT_GE(stage_bucket_bounds()[b], 0.04);
  EXPECT_LT(stage_bucket_bounds()[b - 1], 0.04);
  EXPECT_EQ(s.stages[static_cast<size_t>(PipelineStage::kNms)].count, 0u)
      << "a stage given as negative did not run";
  EXPECT_EQ(s.backend, "cpu");
  EXPECT_EQ(s.model, "yolov8n.onnx");
  EXPECT_FALSE(s.version.empty());
  EXPECT_GT(s.process_cpu_seconds, 0);
  EXPECT_GT(s.resident_memory_bytes, 0);
}

TEST(LiveMetrics, ATimeOnABoundGoesInThatBoundsBucketAndBeyondTenSecondsInInf) {
  LiveMetrics m({}, "cpu", "m");
  m.record_batch(stages(1e-3, 60), 1, {{}});
  const LiveSnapshot s = m.snapshot();
  EXPECT_EQ(bucket_of(s.stages[static_cast<size_t>(PipelineStage::kRead)]), 20u);
  EXPECT_EQ(bucket_of(s.stages[static_cast<size_t>(PipelineStage::kInference)]), kStageBucketCount);
}

TEST(LiveMetrics, ProgressSpikesGpusAndTheEnd) {
  LiveMetrics m({}, "cuda", "m");
  EXPECT_FALSE(m.snapshot().frames_expected);
  m.set_frames_expected(795);
  m.set_spikes(3, 60.5);
  m.publish_gpu(1, {.device = 1,
                    .utilization_ratio = 0.5,
                    .memory_used_bytes = 1e9,
                    .sm_clock_hertz = 1.98e9,
                    .power_watts = 300,
                    .throttled = 0});
  m.publish_gpu(kMaxLiveGpus, {});  // beyond the slots: ignored, not a crash
  LiveSnapshot s = m.snapshot();
  EXPECT_EQ(s.frames_expected, 795);
  EXPECT_EQ(s.spikes, 3u);
  EXPECT_DOUBLE_EQ(s.spike_period_seconds, 60.5);
  ASSERT_EQ(s.gpus.size(), 1u) << "only slots that were published";
  EXPECT_EQ(s.gpus[0].device, 1);
  EXPECT_DOUBLE_EQ(s.gpus[0].sm_clock_hertz, 1.98e9);
  EXPECT_FALSE(s.finished);
  m.set_finished(true);
  s = m.snapshot();
  EXPECT_TRUE(s.finished);
  EXPECT_TRUE(s.report_ready);
}

TEST(LiveMetrics, SnapshotsDuringARunGrowAndTheLastIsExact) {
  LiveMetrics m({"a"}, "cpu", "m");
  constexpr int kBatches = 20000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kBatches; ++i) m.record_batch(stages(1e-4 * (i % 50), 0.01), 2, {{}, {}});
    done = true;
  });
  uint64_t last = 0;
  int reads = 0;
  // At least one read even when the writer finishes before this loop starts (a loaded machine).
  do {
    const LiveSnapshot s = m.snapshot();
    EXPECT_GE(s.frames, last);
    last = s.frames;
    ++reads;
  } while (!done);
  writer.join();
  const LiveSnapshot s = m.snapshot();
  EXPECT_GT(reads, 0);
  EXPECT_EQ(s.frames, 2u * kBatches);
  uint64_t total = 0;
  for (uint64_t c : s.stages[0].counts) total += c;
  EXPECT_EQ(total, static_cast<uint64_t>(kBatches));
}

TEST(LiveMetrics, WithoutNvmlThereAreNoGpuGauges) {
  LiveMetrics m({}, "cuda", "m");
  // This machine has no driver, or the test runs where one is: either way no crash, and without
  // NVML no sampler comes back.
  std::unique_ptr<NvmlSampler> sampler = start_gpu_gauges(m, {0}, 10);
  if (sampler) GTEST_SKIP() << "NVML is present here; this test is for a machine without it";
  EXPECT_TRUE(m.snapshot().gpus.empty());
}

}  // namespace
}  // namespace ys
