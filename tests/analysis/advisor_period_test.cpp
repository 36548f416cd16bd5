// The window's latency.spikes rule gives the period on the time axis (issue 15.2): frames of
// varying length with a stall every second read "every 1.0 s", where a count of frames would have
// no period at all; frames without recorded times fall back to frames.
#include <gtest/gtest.h>

#include <optional>

#include "analysis/advisor.h"

namespace ys {
namespace {

std::optional<Finding> spikes(const ProfileAnalysis& a) {
  RunFacts r;
  r.cores = 2;
  for (const Finding& f : advise(a, InputStats{}, r))
    if (f.id == "latency.spikes") return f;
  return std::nullopt;
}

// 8 s of frames whose length cycles through 40, 50 and 60 ms, with a 300 ms stall at the first
// frame after each whole second: the stalls are 1 s apart but a varying number of frames apart.
ProfileAnalysis varying_frames() {
  ProfileAnalysis a;
  const double lengths[] = {40, 50, 60};
  double t = 0, next_stall = 1000;
  for (int i = 0; t < 8000; ++i) {
    double ms = lengths[i % 3];
    if (t >= next_stall) {
      ms = 300;
      next_stall += 1000;
    }
    a.frame_index.push_back(i);
    a.frame_t_ms.push_back(t);
    a.latency_ms.push_back(ms);
    a.inference_ms.push_back(ms - 1);
    t += ms;
  }
  a.latency = compute_stats(a.latency_ms);
  return a;
}

TEST(AdvisorPeriod, StallsEverySecondAreAPeriodInWallTime) {
  const std::optional<Finding> f = spikes(varying_frames());
  ASSERT_TRUE(f.has_value());
  EXPECT_NE(f->finding.find("every 1.0 s (+/- "), std::string::npos) << f->finding;
  EXPECT_NE(f->fix.find("every 1.0 s"), std::string::npos) << f->fix;
}

TEST(AdvisorPeriod, WithoutFrameTimesTheFramesSpeak) {
  ProfileAnalysis a = varying_frames();
  a.frame_t_ms.clear();
  const std::optional<Finding> f = spikes(a);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->finding.find(" s (+/- "), std::string::npos) << f->finding;
}

}  // namespace
}  // namespace ys
