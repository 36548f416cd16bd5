// The long run's GPU record ring on synthetic CUPTI records (no GPU needed): CUPTI's clock mapped
// onto the host's between readings, so a kernel lands in the frame that ran it; an hour of
// tracing in bounded memory; the per-frame caps; eager launches' steps through correlations;
// and with the long recorder, flight records filled with their frames' kernels, the frames of a
// pending record kept however long it grows, and frames CUPTI did not trace left without any.
#include "profiler/gpu_record_ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>

#include "profiler/long_recorder.h"

namespace ys {
namespace {

constexpr int64_t kMs = 1000000;
constexpr int64_t kCuptiBase = int64_t{1} << 60;  // CUPTI's clock: far from the host's

// CUPTI's clock running 100 ppm fast against the host's: cupti = base + 1.0001 x host.
int64_t cupti_of(int64_t host_ns) {
  return kCuptiBase + host_ns + host_ns / 10000;
}
ClockPair reading(int64_t host_ns) {
  return {host_ns, static_cast<uint64_t>(cupti_of(host_ns))};
}

TEST(GpuRecordRing, MapsCuptisClockBetweenReadings) {
  GpuRecordRing ring;
  ring.calibrate(reading(1000 * kMs), true);
  ring.calibrate(reading(2000 * kMs), true);
  ring.calibrate(reading(3000 * kMs), true);
  for (int64_t h : {1000 * kMs, 1234 * kMs + 567, 2999 * kMs, 3500 * kMs})
    EXPECT_NEAR(static_cast<double>(ring.to_host(cupti_of(h))), static_cast<double>(h), 2.0) << h;
  EXPECT_EQ(ring.delivered_until_ns(), 3000 * kMs);
}

TEST(GpuRecordRing, PutsAKernelInTheFrameThatRanIt) {
  GpuRecordRing ring;
  ring.calibrate(reading(1000 * kMs), true);
  ring.calibrate(reading(2000 * kMs), true);
  // Two frames back to back at 1.9 s: a kernel 50 us before the boundary is frame 10's. Mapped
  // with the offset of the first reading alone, 100 ppm over 0.9 s (90 us) would make it 11's.
  const int64_t b10 = 1900 * kMs, b11 = b10 + 3 * kMs;
  const int64_t k = b11 - 50000;
  ring.add_kernel("conv", cupti_of(k - 200000), cupti_of(k), 4, 1);
  ring.add_kernel("silu", cupti_of(b11 + kMs), cupti_of(b11 + kMs + 100000), 5, 2);
  const GpuPull p =
      ring.pull({{10, b10, b11 - 1, true}, {11, b11, b11 + 3 * kMs, true}, {12, 0, 1, false}});
  ASSERT_EQ(p.frames.size(), 3u);
  ASSERT_TRUE(p.frames[0] && p.frames[1]);
  EXPECT_FALSE(p.frames[2]) << "CUPTI did not trace frame 12: no GPU part, not an empty one";
  ASSERT_EQ(p.frames[0]->kernels.size(), 1u);
  const FlightKernel& c = p.frames[0]->kernels[0];
  EXPECT_EQ(p.names[c.name], "conv");
  EXPECT_EQ(c.step, 4);
  EXPECT_NEAR(c.start_ms, 2.75, 0.001);
  EXPECT_NEAR(c.ms, 0.2, 0.001);
  ASSERT_EQ(p.frames[1]->kernels.size(), 1u);
  EXPECT_EQ(p.names[p.frames[1]->kernels[0].name], "silu");
  EXPECT_NEAR(p.frames[1]->kernels[0].start_ms, 1.0, 0.001);
}

TEST(GpuRecordRing, KeepsCopiesAndWaitsWithTheirFrame) {
  GpuRecordRing ring;
  ring.calibrate(reading(0), true);
  GpuCopyRecord c;
  c.kind = GpuCopyKind::kDeviceToHost;
  c.src = GpuMemoryKind::kDevice;
  c.dst = GpuMemoryKind::kPageable;
  c.bytes = int64_t{1} << 30;
  c.start_ns = cupti_of(10 * kMs);
  c.end_ns = cupti_of(55 * kMs);
  ring.add_copy(c, 9);
  ring.add_wait("stream", cupti_of(9 * kMs), cupti_of(56 * kMs));
  const GpuPull p = ring.pull({{1, 8 * kMs, 60 * kMs, true}});
  ASSERT_TRUE(p.frames[0]);
  ASSERT_EQ(p.frames[0]->copies.size(), 1u);
  EXPECT_EQ(p.frames[0]->copies[0].kind, GpuCopyKind::kDeviceToHost);
  EXPECT_EQ(p.frames[0]->copies[0].dst, GpuMemoryKind::kPageable);
  EXPECT_EQ(p.frames[0]->copies[0].bytes, int64_t{1} << 30);
  EXPECT_NEAR(p.frames[0]->copies[0].start_ms, 2.0, 0.01);
  EXPECT_NEAR(p.frames[0]->copies[0].ms, 45.0, 0.01);
  ASSERT_EQ(p.frames[0]->waits.size(), 1u);
  EXPECT_EQ(gpu_wait_names()[p.frames[0]->waits[0].what], "stream");
  EXPECT_NEAR(p.frames[0]->waits[0].ms, 47.0, 0.01);
}

TEST(GpuRecordRing, EagerLaunchesGetTheirStepAndNamesAreInternedOnce) {
  GpuRecordRing ring;
  ring.calibrate(reading(0), true);
  // Two copies of one mangled name at different addresses, as a library without shared names
  // would give them: one entry, demangled.
  const std::string a = "_ZN2ys4cuda4convEPKf", b = a;
  ring.add_correlation(77, 5);
  ring.add_kernel(a.c_str(), cupti_of(kMs), cupti_of(2 * kMs), -1, 77);
  ring.add_kernel(b.c_str(), cupti_of(3 * kMs), cupti_of(4 * kMs), -1, 78);
  const GpuPull p = ring.pull({{0, 0, 10 * kMs, true}});
  ASSERT_EQ(p.frames[0]->kernels.size(), 2u);
  EXPECT_EQ(p.names, std::vector<std::string>{"ys::cuda::conv(float const*)"});
  EXPECT_EQ(p.frames[0]->kernels[0].step, 5) << "its launch's external correlation names step 5";
  EXPECT_EQ(p.frames[0]->kernels[1].step, -1) << "no correlation record: the step is unknown";
  EXPECT_EQ(ring.counts().names, 2u) << "the other-kernels entry and this one";
}

TEST(GpuRecordRing, KeepsTheLongestKernelsOfAFrameUpToItsCap) {
  GpuRingOptions o;
  o.frame_kernels = 400;
  GpuRecordRing ring(o);
  ring.calibrate(reading(0), true);
  // 1,000 kernels of 1..1000 us, shuffled in length against their start.
  for (int i = 0; i < 1000; ++i) {
    const int64_t start = i * 10000, us = (i * 7919) % 1000 + 1;
    ring.add_kernel("k", cupti_of(start), cupti_of(start + us * 1000), i, static_cast<uint32_t>(i));
  }
  const GpuPull p = ring.pull({{0, 0, 100 * kMs, true}});
  const FlightGpu& g = *p.frames[0];
  ASSERT_EQ(g.kernels.size(), 400u);
  EXPECT_EQ(g.kernels_dropped, 600);
  for (const FlightKernel& k : g.kernels) EXPECT_GE(k.ms, 0.6005f);
  EXPECT_TRUE(std::is_sorted(
      g.kernels.begin(), g.kernels.end(),
      [](const FlightKernel& x, const FlightKernel& y) { return x.start_ms < y.start_ms; }));
}

TEST(GpuRecordRing, GivesWayOldestFirstWhenFull) {
  GpuRingOptions o;
  o.kernels = 8;
  GpuRecordRing ring(o);
  ring.calibrate(reading(0), true);
  for (int i = 0; i < 10; ++i) ring.add_kernel("k", cupti_of(i * kMs), cupti_of(i * kMs + 1), 0, 0);
  EXPECT_EQ(ring.counts().kernels, 8u);
  EXPECT_EQ(ring.counts().overwritten, 2);
  const GpuPull p = ring.pull({{0, 0, 100 * kMs, true}});
  ASSERT_EQ(p.frames[0]->kernels.size(), 8u);
  EXPECT_NEAR(p.frames[0]->kernels[0].start_ms, 2.0, 0.001) << "kernels 0 and 1 gave way";
}

// An hour at 30 frames a second, 120 kernels a frame (YOLOv8n's graph has 115 kernel nodes),
// flushed and trimmed once a second as the long run does: the ring holds about two seconds of
// records at any time and never more than its fixed capacity.
TEST(GpuRecordRing, StaysBoundedOverASimulatedHour) {
  GpuRecordRing ring;
  const size_t bytes = ring.memory_bytes();
  static const char* kNames[] = {"conv", "silu", "add", "concat", "upsample", "maxpool"};
  size_t most = 0;
  int64_t t = 0;
  for (int second = 0; second < 3600; ++second) {
    for (int f = 0; f < 30; ++f, t += 33 * kMs) {
      for (int k = 0; k < 120; ++k) {
        const int64_t s = t + k * 20000;
        ring.add_kernel(kNames[k % 6], cupti_of(s), cupti_of(s + 15000), k, 0);
      }
    }
    ring.calibrate(reading(t), false);
    most = std::max(most, ring.counts().kernels);
    ring.drop_before(t - 1000 * kMs);  // what no flight record claims
  }
  EXPECT_LE(most, 2u * 30 * 120);
  EXPECT_GE(most, 30u * 120);
  EXPECT_EQ(ring.counts().overwritten, 0);
  EXPECT_EQ(ring.memory_bytes(), bytes + 6 * (sizeof(std::string) + 15)) << "six names added";
  EXPECT_LT(ring.memory_bytes(), size_t{8} << 20);
}

// Frames fed to the recorder back to back from `t_ms`, each marked as traced by CUPTI when
// `gpu`, and one kernel per frame in the ring at 1 ms into its inference (step = frame % 23).
template <typename F>
int64_t feed(LongRecorder& r, GpuRecordRing& ring, int64_t& frame, int64_t t_ms, int n, F latency,
             bool gpu = true) {
  int64_t t = r.start_ns() + t_ms * kMs;
  for (int i = 0; i < n; ++i, ++frame) {
    std::array<int64_t, kPipelineStageCount> b{}, e{};
    const auto inf = static_cast<size_t>(PipelineStage::kInference);
    b[inf] = t;
    e[inf] = t + static_cast<int64_t>(latency(frame) * kMs);
    if (r.begin_frame(frame) && gpu) {
      r.set_gpu_traced();
      ring.add_kernel("conv", cupti_of(t + kMs), cupti_of(t + 2 * kMs),
                      static_cast<int>(frame % 23), static_cast<uint32_t>(frame));
    }
    r.end_frame_at(b, e);
    t = e[inf];
  }
  return (t - r.start_ns()) / kMs;
}

TEST(LongRecorderGpu, AFinishedFlightRecordIsFilledWithItsFramesKernels) {
  LongRecorderOptions o;
  o.untraced_every = 0;  // every frame traced: each has its kernel
  LongRecorder r(23, o);
  GpuRecordRing ring;
  ring.calibrate(reading(r.start_ns()), true);
  int64_t frame = 0;
  int64_t t = feed(r, ring, frame, 0, 500, [](int64_t) { return 9.0; });
  const int64_t spike = frame + 1;
  t = feed(r, ring, frame, t, 3, [&](int64_t i) { return i == spike ? 49.0 : 9.0; });
  // The frames after it run without CUPTI (the armed burst ended).
  feed(
      r, ring, frame, t, 10, [](int64_t) { return 9.0; }, false);
  ring.calibrate(reading(r.start_ns() + 10000 * kMs), true);
  const std::vector<FlightToFill> todo = r.flights_to_fill();
  ASSERT_EQ(todo.size(), 1u);
  ASSERT_EQ(todo[0].frames.size(), 9u);  // 4 before, the spike, 4 after
  EXPECT_EQ(todo[0].frames[4].frame, spike);
  EXPECT_NEAR(static_cast<double>(todo[0].frames[4].end_ns - todo[0].frames[4].begin_ns),
              49.0 * kMs, 1e3);
  r.fill_flight(todo[0].occurrence, ring.pull(todo[0].frames));
  EXPECT_TRUE(r.flights_to_fill().empty());

  const LongSnapshot s = r.snapshot();
  ASSERT_EQ(s.flight.size(), 1u);
  const FlightRecord& rec = s.flight[0];
  EXPECT_EQ(rec.kernel_names, std::vector<std::string>{"conv"});
  for (size_t i = 0; i < rec.frames.size(); ++i) {
    const FlightFrame& f = rec.frames[i];
    // No op hooks ran (as on a GPU replaying a CUDA Graph): no host op times, rather than the
    // zeros or another frame's times left in the recorder's slot.
    EXPECT_TRUE(f.op_us.empty()) << "frame " << f.times.frame;
    if (f.times.frame <= spike + 1) {
      ASSERT_TRUE(f.gpu) << "frame " << f.times.frame;
      ASSERT_EQ(f.gpu->kernels.size(), 1u) << "frame " << f.times.frame;
      EXPECT_EQ(f.gpu->kernels[0].step, f.times.frame % 23);
      EXPECT_NEAR(f.gpu->kernels[0].start_ms, 1.0, 0.01);
    } else {
      EXPECT_FALSE(f.gpu) << "frame " << f.times.frame << " ran without CUPTI";
    }
  }
  EXPECT_GT(r.memory_bytes(), 0u);
}

// A stall of 3.4 s (70 slow frames) keeps its record pending all that time; the ring, trimmed
// at the recorder's claim floor each simulated second, still has the record's first frames when
// it finishes, and lets them go once the record has been filled.
TEST(LongRecorderGpu, APendingRecordsFramesAreKeptHoweverLongItGrows) {
  LongRecorderOptions o;
  o.untraced_every = 0;
  o.gap_frames = 100;
  LongRecorder r(23, o);
  GpuRecordRing ring;
  ring.calibrate(reading(r.start_ns()), true);
  int64_t frame = 0;
  int64_t t = feed(r, ring, frame, 0, 500, [](int64_t) { return 9.0; });
  const int64_t first = frame + 1;
  auto slow = [&](int64_t i) { return i >= first && i < first + 70 ? 49.0 : 9.0; };
  for (int second = 0; second < 3; ++second) {
    t = feed(r, ring, frame, t, 20, slow);
    ring.drop_before(r.claim_floor_ns());
  }
  // Trimmed to the last second instead, the ring would have lost the stall's first frames.
  EXPECT_LT(r.claim_floor_ns(), r.start_ns() + (t - 2000) * kMs);
  t = feed(r, ring, frame, t, 20, slow);
  const std::vector<FlightToFill> todo = r.flights_to_fill();
  ASSERT_EQ(todo.size(), 1u);
  ring.calibrate(reading(r.start_ns() + t * kMs), true);
  r.fill_flight(todo[0].occurrence, ring.pull(todo[0].frames));
  const LongSnapshot s = r.snapshot();
  const FlightRecord& rec = s.flight.at(0);
  ASSERT_GE(rec.frames.size(), 6u);
  EXPECT_EQ(rec.frames[4].times.frame, first);
  for (size_t i = 0; i < 6; ++i) {
    ASSERT_TRUE(rec.frames[i].gpu) << i;
    EXPECT_EQ(rec.frames[i].gpu->kernels.size(), 1u) << "frame " << rec.frames[i].times.frame;
  }
  // Filled: nothing claims the stall's frames now; only the latest few frames stay.
  ring.drop_before(r.claim_floor_ns());
  EXPECT_LE(ring.counts().kernels, o.flight_before + 1);
}

}  // namespace
}  // namespace ys
