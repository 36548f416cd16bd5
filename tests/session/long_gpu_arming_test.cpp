// Which frames of a long run CUPTI traces (long_gpu_arming.h): short bursts on a duty cycle, and
// once the spikes are periodic, a window around each predicted occurrence that covers the frames
// a flight record keeps, never more than a twentieth of the period. Spike times drawn on a fixed
// period go through the real period estimate, and the next occurrences must fall in the windows.
#include "session/long_gpu_arming.h"

#include <gtest/gtest.h>

#include <vector>

namespace ys {
namespace {

constexpr int64_t kMs = 1000000, kS = 1000 * kMs;

TEST(LongGpuArming, TracesBurstsOnTheDutyCycle) {
  GpuArming a;
  a.start_ns = 7 * kS;
  a.duty_period_ns = 10 * kS;
  a.duty_on_ns = 200 * kMs;
  EXPECT_TRUE(gpu_armed(a, a.start_ns));
  EXPECT_TRUE(gpu_armed(a, a.start_ns + 199 * kMs));
  EXPECT_FALSE(gpu_armed(a, a.start_ns + 200 * kMs));
  EXPECT_FALSE(gpu_armed(a, a.start_ns + 9 * kS));
  EXPECT_TRUE(gpu_armed(a, a.start_ns + 3600 * kS + 50 * kMs)) << "an hour in, the same";
  int armed = 0;
  for (int64_t t = 0; t < 600 * kS; t += 33 * kMs) armed += gpu_armed(a, a.start_ns + t);
  EXPECT_NEAR(armed / (600.0 * 30.3), 0.02, 0.002) << "2% of the frames";
  a.duty_period_ns = 0;
  EXPECT_FALSE(gpu_armed(a, a.start_ns)) << "no duty cycle, no period: nothing traced";
}

TEST(LongGpuArming, ArmsAroundEachPredictedOccurrenceOfAPeriodicFamily) {
  // Stalls of 40 ms every 20 s from 2.3 s, with 30 ms of jitter, at 30 frames a second.
  std::vector<double> t;
  for (int k = 0; k < 12; ++k) t.push_back(2.3 + 20.0 * k + (k % 3 - 1) * 0.03);
  const PeriodEstimate p = estimate_period(t, 0, 240, 0.033);
  ASSERT_TRUE(p.periodic) << p.why;
  GpuArming a;
  a.start_ns = 100 * kS;
  a.duty_period_ns = 0;
  arm_for_period(a, p, 33, 40, 4, 4);
  EXPECT_NEAR(static_cast<double>(a.period_ns) / kS, 20.0, 0.05);
  // The window starts before the 4 frames a flight record keeps before the occurrence and ends
  // after the 4 after it; at most a twentieth of the period.
  EXPECT_GT(a.lead_ns, 5 * 33 * kMs);
  EXPECT_GT(a.lag_ns, 40 * kMs + 5 * 33 * kMs);
  EXPECT_LE(a.lead_ns + a.lag_ns, a.period_ns / 20);
  // The next occurrences (the run estimates the period again every few seconds): each one's
  // frames traced, the middle of the period not.
  for (int k = 12; k < 16; ++k) {
    const int64_t at = a.start_ns + static_cast<int64_t>((2.3 + 20.0 * k) * 1e9);
    EXPECT_TRUE(gpu_armed(a, at - 4 * 33 * kMs)) << k;
    EXPECT_TRUE(gpu_armed(a, at)) << k;
    EXPECT_TRUE(gpu_armed(a, at + 40 * kMs + 4 * 33 * kMs)) << k;
    EXPECT_FALSE(gpu_armed(a, at + 10000 * kMs)) << k;
  }
}

TEST(LongGpuArming, AShortPeriodGetsATwentiethOfItAndNoPeriodClearsTheWindows) {
  std::vector<double> t;
  for (int k = 0; k < 20; ++k) t.push_back(0.5 + 1.0 * k);
  PeriodEstimate p = estimate_period(t, 0, 20, 0.033);
  ASSERT_TRUE(p.periodic) << p.why;
  GpuArming a;
  arm_for_period(a, p, 100, 300, 4, 4);  // slow frames: the record's frames span over a second
  EXPECT_LE(a.lead_ns + a.lag_ns, a.period_ns / 20);
  EXPECT_GT(a.lead_ns, 0);
  EXPECT_GT(a.lag_ns, a.lead_ns) << "the stall itself is inside";
  p.periodic = false;
  arm_for_period(a, p, 100, 300, 4, 4);
  EXPECT_EQ(a.period_ns, 0);
  a.duty_period_ns = 0;
  EXPECT_FALSE(gpu_armed(a, 5 * kS));
}

}  // namespace
}  // namespace ys
