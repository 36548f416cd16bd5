// The period of spikes on the time axis: planted periods are found with their error, missing
// and extra occurrences are tolerated, and what is not a period (three spikes, random times,
// spikes too dense to tell from chance) is said to be none.
#include "analysis/spike_period.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace ys {
namespace {

std::vector<double> periodic(double period, double phase, double end, double jitter, unsigned seed,
                             std::vector<int> missing = {}) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> j(-jitter, jitter);
  std::vector<double> t;
  int n = 0;
  for (double x = phase; x < end; x += period, ++n) {
    if (std::find(missing.begin(), missing.end(), n) == missing.end()) t.push_back(x + j(rng));
  }
  return t;
}

TEST(SpikePeriod, FindsAMinutePeriodWithOneOccurrenceMissing) {
  const std::vector<double> t = periodic(60, 12.1, 900, 0.2, 1, {5});
  const PeriodEstimate p = estimate_period(t, 0, 900, 0.003);
  ASSERT_TRUE(p.periodic) << p.why;
  EXPECT_NEAR(p.period, 60, 0.3);
  EXPECT_LT(p.period_err, 0.5);
  EXPECT_EQ(p.expected, 15);
  EXPECT_EQ(p.matched, 14);
  EXPECT_NEAR(p.phase, 12.1, 0.3);
  EXPECT_GT(p.confidence, 0.8);
  const std::string text = period_text(p, "s", "40 ms");
  EXPECT_NE(text.find("every 60.0 s (+/- "), std::string::npos) << text;
  EXPECT_NE(text.find("14 of 15 expected occurrences, each about 40 ms, phase 12."),
            std::string::npos)
      << text;
}

TEST(SpikePeriod, ThreeSpikesAreNotAPeriod) {
  const PeriodEstimate p = estimate_period({10, 20, 30}, 0, 100, 0.01);
  EXPECT_FALSE(p.periodic);
  EXPECT_NE(period_text(p, "s").find("not periodic"), std::string::npos);
}

TEST(SpikePeriod, FourEvenSpikesInASpanOfFourPeriodsAreOne) {
  const PeriodEstimate p = estimate_period({5, 15, 25, 35}, 0, 40, 0.01);
  ASSERT_TRUE(p.periodic) << p.why;
  EXPECT_NEAR(p.period, 10, 0.01);
}

TEST(SpikePeriod, RandomTimesAreNotPeriodic) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 600);
    std::vector<double> t(12);
    for (double& x : t) x = u(rng);
    std::sort(t.begin(), t.end());
    const PeriodEstimate p = estimate_period(t, 0, 600, 0.01);
    EXPECT_FALSE(p.periodic) << "seed " << seed << ": every " << p.period << " s, " << p.matched
                             << " of " << p.expected;
  }
}

TEST(SpikePeriod, DenseRandomSpikesAreNotAPeriod) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 60);
  std::vector<double> t(150);
  for (double& x : t) x = u(rng);
  std::sort(t.begin(), t.end());
  EXPECT_FALSE(estimate_period(t, 0, 60, 0.01).periodic);
}

TEST(SpikePeriod, APeriodAmongRandomSpikesIsStillFound) {
  std::vector<double> t = periodic(4, 1.3, 60, 0.05, 3);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 60);
  for (int i = 0; i < 10; ++i) t.push_back(u(rng));
  std::sort(t.begin(), t.end());
  const PeriodEstimate p = estimate_period(t, 0, 60, 0.01);
  ASSERT_TRUE(p.periodic) << p.why;
  EXPECT_NEAR(p.period, 4, 0.1);
  int in = 0;
  for (bool b : p.in_period) in += b;
  EXPECT_GE(in, 14);
}

TEST(SpikePeriod, NeitherHalfNorTwiceThePeriod) {
  const PeriodEstimate p = estimate_period(periodic(5, 2, 100, 0.02, 5), 0, 100, 0.01);
  ASSERT_TRUE(p.periodic);
  EXPECT_NEAR(p.period, 5, 0.05);
}

TEST(SpikePeriod, KeyframesInFrames) {
  std::vector<double> f;
  for (int k = 100; k < 5000; k += 250) f.push_back(k);
  const PeriodEstimate p = estimate_period(f, 0, 5000, 1);
  ASSERT_TRUE(p.periodic);
  EXPECT_NEAR(p.period, 250, 0.5);
  EXPECT_NE(period_text(p, "frames").find("every 250 frames"), std::string::npos);
}

}  // namespace
}  // namespace ys
