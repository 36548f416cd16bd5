// yolo compare's statistics on synthetic samples whose truth is known: the interval covers no
// change when there is none (also for autocorrelated series, where frame-by-frame resampling
// would not), a planted shift is found with its size, and the verdict needs both the threshold
// and significance.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/compare_stats.h"

namespace ys {
namespace {

// n frames of `level` ms with multiplicative noise of relative sd `noise`, following an AR(1)
// process with lag-1 correlation `rho` (0: independent frames).
std::vector<double> series(size_t n, double level, double noise, double rho, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 1);
  std::vector<double> out;
  double state = z(rng);
  for (size_t i = 0; i < n; ++i) {
    state = rho * state + std::sqrt(1 - rho * rho) * z(rng);
    out.push_back(level * std::exp(noise * state));
  }
  return out;
}

TEST(CompareStats, MedianInterpolatesAndIgnoresOrder) {
  EXPECT_DOUBLE_EQ(median_of({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median_of({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median_of({}), 0);
}

TEST(CompareStats, Lag1AutocorrelationOfKnownSeries) {
  EXPECT_NEAR(lag1_autocorrelation(series(4000, 10, 0.1, 0.8, 1)), 0.8, 0.05);
  EXPECT_NEAR(lag1_autocorrelation(series(4000, 10, 0.1, 0.0, 2)), 0.0, 0.05);
  EXPECT_DOUBLE_EQ(lag1_autocorrelation({5, 5, 5, 5}), 0);
  EXPECT_DOUBLE_EQ(lag1_autocorrelation({1, 2}), 0);
}

TEST(CompareStats, BlockLengthFollowsSizeAndDependence) {
  EXPECT_EQ(block_length(125, 0.0), 5u);   // cube root
  EXPECT_EQ(block_length(125, -0.5), 5u);  // negative correlation shortens nothing
  EXPECT_EQ(block_length(300, 0.9), 19u);  // (1 + 0.9) / (1 - 0.9)
  EXPECT_EQ(block_length(30, 0.9), 10u);   // at most a third of the series
  EXPECT_EQ(block_length(2, 0.5), 1u);
}

TEST(CompareStats, PlantedShiftIsFoundWithItsSize) {
  const auto base = series(40, 10, 0.05, 0.0, 11);
  const auto cur = series(40, 12, 0.05, 0.0, 12);
  const ChangeEstimate e = estimate_change(base, cur);
  ASSERT_TRUE(e.valid);
  EXPECT_NEAR(e.change, 0.20, 0.05);
  EXPECT_GT(e.ci_low, 0.10);
  EXPECT_LE(e.ci_low, e.change);
  EXPECT_GE(e.ci_high, e.change);
  EXPECT_EQ(judge(e, 0.05), Verdict::kRegression);
  EXPECT_EQ(judge(estimate_change(cur, base), 0.05), Verdict::kImprovement);
}

TEST(CompareStats, VerdictNeedsThresholdAndSignificance) {
  // Significant but small: 3% with little noise is below a 5% threshold.
  const ChangeEstimate small =
      estimate_change(series(60, 10, 0.005, 0, 21), series(60, 10.3, 0.005, 0, 22));
  EXPECT_GT(small.ci_low, 0);
  EXPECT_EQ(judge(small, 0.05), Verdict::kNoChange);
  EXPECT_EQ(judge(small, 0.01), Verdict::kRegression);
  // Large but not significant: 10% inside 40% noise on 8 frames.
  const ChangeEstimate noisy =
      estimate_change(series(8, 10, 0.4, 0, 23), series(8, 11, 0.4, 0, 24));
  EXPECT_LT(noisy.ci_low, 0);
  EXPECT_EQ(judge(noisy, 0.05), Verdict::kNoChange);
}

// The current run was slowed by a neighbour for its first half only: the machine moved under
// the run, and another run could have caught either state, so no verdict; the same slowdown held
// for the whole run is a regression.
TEST(CompareStats, DriftWithinARunWidensTheInterval) {
  const auto base = series(40, 10, 0.02, 0, 51);
  std::vector<double> drifted = series(40, 10, 0.02, 0, 52);
  for (size_t i = 0; i < 20; ++i) drifted[i] *= 1.3;
  const ChangeEstimate e = estimate_change(base, drifted);
  EXPECT_GT(e.drift, 0.2);
  EXPECT_LT(e.ci_low, 0);
  EXPECT_EQ(judge(e, 0.05), Verdict::kNoChange);
  const ChangeEstimate held = estimate_change(base, series(40, 13, 0.02, 0, 53));
  EXPECT_LT(held.drift, 0.03);
  EXPECT_EQ(judge(held, 0.05), Verdict::kRegression);
}

// A/B frames share the machine's state: a load that slows both frames of a pair cancels in the
// paired ratio, so a planted 20% stands out where two separate medians cannot see it.
TEST(CompareStats, PairedFramesCancelCommonLoad) {
  const auto load = series(40, 1, 0.6, 0.7, 61);  // up to several times slower, in stretches
  const auto noise_a = series(40, 1, 0.02, 0, 62), noise_b = series(40, 1, 0.02, 0, 63);
  std::vector<double> a, same, slower;
  for (size_t i = 0; i < 40; ++i) {
    a.push_back(10 * load[i] * noise_a[i]);
    same.push_back(10 * load[i] * noise_b[i]);
    slower.push_back(12 * load[i] * noise_b[i]);
  }
  BootstrapOptions paired;
  paired.paired = true;
  paired.widen_by_drift = false;
  const ChangeEstimate aa = estimate_change(a, same, 1.0, paired);
  EXPECT_LT(aa.ci_low, 0);
  EXPECT_GT(aa.ci_high, 0);
  EXPECT_LT(aa.ci_high - aa.ci_low, 0.05);
  const ChangeEstimate ab = estimate_change(a, slower, 1.0, paired);
  EXPECT_NEAR(ab.change, 0.2, 0.02);
  EXPECT_EQ(judge(ab, 0.05), Verdict::kRegression);
  BootstrapOptions unpaired = paired;
  unpaired.paired = false;
  EXPECT_GT(estimate_change(a, slower, 1.0, unpaired).ci_high -
                estimate_change(a, slower, 1.0, unpaired).ci_low,
            5 * (ab.ci_high - ab.ci_low));
}

TEST(CompareStats, ScaleMovesTheBaselineOntoTheCurrentMachine) {
  const auto base = series(50, 10, 0.03, 0, 31);
  const auto cur = series(50, 13, 0.03, 0, 32);
  EXPECT_EQ(judge(estimate_change(base, cur), 0.05), Verdict::kRegression);
  const ChangeEstimate scaled = estimate_change(base, cur, 1.3);
  EXPECT_NEAR(scaled.change, 0, 0.03);
  EXPECT_EQ(judge(scaled, 0.05), Verdict::kNoChange);
}

TEST(CompareStats, NothingToCompare) {
  EXPECT_EQ(judge(estimate_change({}, {1, 2, 3}), 0.05), Verdict::kNotCompared);
  EXPECT_EQ(judge(estimate_change({0, 0, 0}, {1, 2, 3}), 0.05), Verdict::kNotCompared);
  EXPECT_EQ(judge(estimate_change({1, 2}, {}), 0.05), Verdict::kNotCompared);
  EXPECT_EQ(judge(estimate_change({1, 1}, {2, 2}, 0.0), 0.05), Verdict::kNotCompared);
}

TEST(CompareStats, ChangesBelowTheClockResolutionDoNotCount) {
  // A 1 us stage that doubles is +100%, and still nothing the clock can resolve.
  const ChangeEstimate e =
      estimate_change(std::vector<double>(20, 0.001), std::vector<double>(20, 0.002));
  EXPECT_NEAR(e.change, 1.0, 1e-9);
  EXPECT_EQ(judge(e, 0.05), Verdict::kNoChange);
  // A caller's larger floor (a layer's share of inference) works the same way.
  const ChangeEstimate big =
      estimate_change(std::vector<double>(20, 1.0), std::vector<double>(20, 1.3));
  EXPECT_EQ(judge(big, 0.05, 0.5), Verdict::kNoChange);
  EXPECT_EQ(judge(big, 0.05, 0.2), Verdict::kRegression);
}

TEST(CompareStats, SameSamplesGiveTheSameInterval) {
  const auto a = series(30, 10, 0.1, 0.3, 41);
  const auto b = series(30, 10, 0.1, 0.3, 42);
  const ChangeEstimate x = estimate_change(a, b);
  const ChangeEstimate y = estimate_change(a, b);
  EXPECT_DOUBLE_EQ(x.ci_low, y.ci_low);
  EXPECT_DOUBLE_EQ(x.ci_high, y.ci_high);
}

// A/A on autocorrelated frames (a neighbour slowing stretches of frames): blocks keep the
// interval honest where resampling single frames makes it too narrow and cries wolf.
TEST(CompareStats, BlocksKeepAutocorrelatedAACalm) {
  int alarms_blocks = 0, alarms_single = 0;
  BootstrapOptions single;
  single.block = 1;
  single.resamples = 500;
  BootstrapOptions blocks;
  blocks.resamples = 500;
  constexpr int kTrials = 60;
  for (int t = 0; t < kTrials; ++t) {
    const auto a = series(80, 10, 0.15, 0.9, 1000 + 2 * t);
    const auto b = series(80, 10, 0.15, 0.9, 1001 + 2 * t);
    const ChangeEstimate eb = estimate_change(a, b, 1.0, blocks);
    const ChangeEstimate es = estimate_change(a, b, 1.0, single);
    alarms_blocks += eb.ci_low > 0 || eb.ci_high < 0;
    alarms_single += es.ci_low > 0 || es.ci_high < 0;
  }
  EXPECT_GT(alarms_single, alarms_blocks);
  // Nominal 1% per trial; AR(1) at 0.9 over 80 frames is hard, so allow several.
  EXPECT_LE(alarms_blocks, kTrials / 6);
}

// Independent A/A frames: the 99% interval seldom excludes zero, and the verdict at 5% never
// calls a regression on 10% noise.
TEST(CompareStats, IndependentAAGivesNoRegression) {
  int regressions = 0, excluded = 0;
  for (int t = 0; t < 100; ++t) {
    const ChangeEstimate e =
        estimate_change(series(40, 10, 0.1, 0, 5000 + 2 * t), series(40, 10, 0.1, 0, 5001 + 2 * t));
    excluded += e.ci_low > 0 || e.ci_high < 0;
    regressions += judge(e, 0.05) == Verdict::kRegression;
  }
  EXPECT_LE(excluded, 5);
  EXPECT_LE(regressions, 1);
}

}  // namespace
}  // namespace ys
