// The long-run recorder on frames with planted times: per-second buckets with exact quantiles,
// spikes grouped into occurrences with their excess, flight records of the frames around them
// (bounded, the largest kept), a ring bounded in frames and time, and run-wide overhead pairs.
#include "profiler/long_recorder.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ys {
namespace {

constexpr int64_t kMs = 1000000;

// Feeds frames of `ms` each back to back from `t_ms` after the recorder's start; `latency(i)`
// gives frame i's inference time.
template <typename F>
int64_t feed(LongRecorder& r, int64_t& frame, int64_t t_ms, int n, F latency) {
  int64_t t = r.start_ns() + t_ms * kMs;
  for (int i = 0; i < n; ++i, ++frame) {
    std::array<int64_t, kPipelineStageCount> b{}, e{};
    const auto inf = static_cast<size_t>(PipelineStage::kInference);
    const auto pre = static_cast<size_t>(PipelineStage::kPreprocess);
    const double ms = latency(frame);
    b[pre] = t;
    e[pre] = t + kMs;
    b[inf] = e[pre];
    e[inf] = b[inf] + static_cast<int64_t>(ms * kMs);
    if (r.begin_frame(frame)) {
      r.on_op_begin(0);
      r.on_op_end(0);
    }
    r.end_frame_at(b, e);
    t = e[inf];
  }
  return (t - r.start_ns()) / kMs;
}

TEST(LongRecorder, BucketsHoldEachSecondsQuantiles) {
  LongRecorder r(3);
  int64_t frame = 0;
  // 10 s of 9 ms inference + 1 ms preprocessing: 100 frames a second.
  feed(r, frame, 0, 1000, [](int64_t i) { return i % 100 == 99 ? 19.0 : 9.0; });
  r.finish();
  const LongSnapshot s = r.snapshot();
  ASSERT_GE(s.buckets.size(), 9u);
  const LongBucket& b = s.buckets[3];
  EXPECT_GE(b.count, 95);
  EXPECT_NEAR(b.q[kLatencyColumn][0], 10, 0.01);  // p50
  EXPECT_NEAR(b.q[kLatencyColumn][3], 20, 0.01);  // max
  EXPECT_NEAR(b.q[static_cast<size_t>(PipelineStage::kPreprocess)][0], 1, 0.01);
  EXPECT_TRUE(std::isnan(b.q[static_cast<size_t>(PipelineStage::kNms)][0]));
  EXPECT_EQ(s.frames, 1000);
}

TEST(LongRecorder, ASpikeBecomesOneOccurrenceWithItsFlightRecord) {
  LongRecorder r(3);
  int64_t frame = 0;
  int64_t t = feed(r, frame, 0, 500, [](int64_t) { return 9.0; });  // 5 s: the baseline warms
  const int64_t spike_frame = frame + 1;
  // Two slow frames in a row: one occurrence of two frames, 2 x 40 ms above the baseline.
  t = feed(r, frame, t, 10,
           [&](int64_t i) { return i == spike_frame || i == spike_frame + 1 ? 49.0 : 9.0; });
  feed(r, frame, t, 300, [](int64_t) { return 9.0; });
  r.finish();
  const LongSnapshot s = r.snapshot();
  ASSERT_EQ(s.occurrences.size(), 1u);
  const SpikeOccurrence& o = s.occurrences[0];
  EXPECT_EQ(o.frame, spike_frame);
  EXPECT_EQ(o.frames, 2);
  EXPECT_NEAR(o.excess_ms, 80, 0.5);
  EXPECT_NEAR(o.peak_ms, 50, 0.01);
  EXPECT_NEAR(o.excess_by_column[static_cast<size_t>(PipelineStage::kInference)], 80, 0.5);
  ASSERT_EQ(o.flight, 0);
  ASSERT_EQ(s.flight.size(), 1u);
  const FlightRecord& rec = s.flight[0];
  // 4 frames before, the 2 spike frames, 4 after.
  ASSERT_EQ(rec.frames.size(), 10u);
  EXPECT_EQ(rec.frames[4].times.frame, spike_frame);
  EXPECT_TRUE(rec.frames[4].times.spike);
  EXPECT_FALSE(rec.frames[0].times.spike);
  size_t with_ops = 0;
  for (const FlightFrame& f : rec.frames) with_ops += f.op_us.size() == 3;
  EXPECT_GE(with_ops, 8u);  // every 8th frame runs without hooks
}

TEST(LongRecorder, FlightRecordsAreBoundedAndKeepTheLargest) {
  LongRecorderOptions o;
  o.flight_records = 3;
  LongRecorder r(1, o);
  int64_t frame = 0;
  int64_t t = feed(r, frame, 0, 400, [](int64_t) { return 9.0; });
  // Spikes one second apart, growing: 30, 40, ..., 100 ms above the baseline.
  for (int k = 0; k < 8; ++k) {
    const int64_t at = frame + 5;
    const double ms = 40.0 + 10 * k;
    t = feed(r, frame, t, 100, [&](int64_t i) { return i == at ? ms : 9.0; });
  }
  r.finish();
  const LongSnapshot s = r.snapshot();
  ASSERT_EQ(s.occurrences.size(), 8u);
  ASSERT_EQ(s.flight.size(), 3u);
  for (const FlightRecord& f : s.flight) EXPECT_GE(f.occurrence, 5u);
  int kept = 0;
  for (const SpikeOccurrence& oc : s.occurrences) kept += oc.flight >= 0;
  EXPECT_EQ(kept, 3);
}

TEST(LongRecorder, OccurrencesBeyondTheCapAreCounted) {
  LongRecorderOptions o;
  o.max_occurrences = 2;
  LongRecorder r(1, o);
  int64_t frame = 0;
  int64_t t = feed(r, frame, 0, 400, [](int64_t) { return 9.0; });
  for (int k = 0; k < 5; ++k) {
    const int64_t at = frame + 5;
    t = feed(r, frame, t, 100, [&](int64_t i) { return i == at ? 60.0 : 9.0; });
  }
  r.finish();
  const LongSnapshot s = r.snapshot();
  EXPECT_EQ(s.occurrences.size(), 2u);
  EXPECT_EQ(s.dropped_occurrences, 3);
}

TEST(LongRecorder, TheRingIsBoundedInFrames) {
  LongRecorderOptions o;
  o.ring_capacity = 256;
  LongRecorder r(1, o);
  int64_t frame = 0;
  feed(r, frame, 0, 1000, [](int64_t) { return 1.0; });
  const LongSnapshot s = r.snapshot();
  ASSERT_EQ(s.recent.size(), 256u);
  EXPECT_EQ(s.recent.front().frame, 1000 - 256);
  EXPECT_EQ(s.recent.back().frame, 999);
}

TEST(LongRecorder, NoSpikeBeforeTheBaselineIsWarm) {
  LongRecorder r(1);
  int64_t frame = 0;
  feed(r, frame, 0, 100, [](int64_t i) { return i == 50 ? 90.0 : 9.0; });  // the first second
  r.finish();
  EXPECT_TRUE(r.snapshot().occurrences.empty());
}

TEST(LongRecorder, PairsTracedAndUntracedFramesOverTheWholeRun) {
  LongRecorder r(1);
  int64_t frame = 0;
  feed(r, frame, 0, 800, [](int64_t) { return 5.0; });
  const LongSnapshot s = r.snapshot();
  EXPECT_EQ(s.overhead_pairs_ms.size(), 100u);  // one untraced frame in 8
  EXPECT_EQ(s.traced, 700);
  EXPECT_GT(s.hook_cost_ns, 0);
}

}  // namespace
}  // namespace ys
