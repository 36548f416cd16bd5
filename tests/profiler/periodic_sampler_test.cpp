// The sampling thread shared by the NVML and /proc samplers: when its first reading comes, that
// stop() does not wait out a period, and that the /proc sampler built on it reads real figures.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "profiler/periodic_sampler.h"
#include "profiler/resource_sampler.h"

namespace ys {
namespace {

constexpr int kHourMs = 3600 * 1000;

std::vector<int> wait_for(const PeriodicSampler<int>& s, size_t n) {
  for (int i = 0; i < 2000 && s.samples().size() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return s.samples();
}

TEST(PeriodicSampler, ReadsAtStartWhenAskedAndStopsWithoutWaitingOutThePeriod) {
  PeriodicSampler<int> s;
  s.start(kHourMs, PeriodicSampler<int>::FirstReading::kAtStart,
          [](std::vector<int>& out) { out.push_back(7); });
  EXPECT_EQ(wait_for(s, 1), std::vector<int>{7});
  s.stop();  // a sampler that slept out its hour would hang this test until ctest's timeout
  EXPECT_EQ(s.samples(), std::vector<int>{7});
}

TEST(PeriodicSampler, AfterOnePeriodTakesNoReadingBeforeThePeriod) {
  std::atomic<int> reads{0};
  {
    PeriodicSampler<int> s;
    s.start(kHourMs, PeriodicSampler<int>::FirstReading::kAfterOnePeriod,
            [&](std::vector<int>& out) {
              ++reads;
              out.push_back(1);
            });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }  // the destructor stops it
  EXPECT_EQ(reads.load(), 0);
}

TEST(PeriodicSampler, KeepsEverySampleOfEveryTickInOrder) {
  PeriodicSampler<int> s;
  int tick = 0;
  s.start(1, PeriodicSampler<int>::FirstReading::kAtStart, [&](std::vector<int>& out) {
    out.push_back(2 * tick);
    out.push_back(2 * tick + 1);
    ++tick;
  });
  wait_for(s, 6);
  s.stop();
  const std::vector<int> got = s.samples();
  ASSERT_GE(got.size(), 6u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], static_cast<int>(i));
}

TEST(ResourceSampler, ReportsThisProcessResidentMemoryAndCpu) {
  ResourceSampler r(1);
  std::vector<ResourceSample> got;
  for (int i = 0; i < 2000 && got.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    got = r.samples();
  }
  r.stop();
  ASSERT_GE(got.size(), 3u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_GT(got[i].rss_bytes, 1 << 20);  // a gtest binary is over 1 MiB resident
    EXPECT_GE(got[i].cpu_percent, 0);
    if (i > 0) {
      EXPECT_GT(got[i].t_ns, got[i - 1].t_ns);
    }
  }
}

}  // namespace
}  // namespace ys
