#include "core/startup_timeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/clock.h"

namespace ys {
namespace {

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

const StartupPhase* find(const StartupBreakdown& b, const std::string& name) {
  for (const StartupPhase& p : b.phases)
    if (p.name == name) return &p;
  return nullptr;
}

TEST(StartupTimeline, RecordsNothingUntilArmed) {
  StartupTimeline t;
  const int token = t.begin("load");
  EXPECT_EQ(token, -1);
  t.end(token);
  t.record("x", now_ns(), now_ns());
  EXPECT_TRUE(t.breakdown().phases.empty());
  EXPECT_FALSE(t.armed());
}

TEST(StartupTimeline, NestedPhasesAreChildrenAndRepeatedChildrenMerge) {
  StartupTimeline t;
  t.arm(0);
  const int load = t.begin("load");
  for (int k = 0; k < 3; ++k) {
    const int up = t.begin("upload");
    sleep_ms(2);
    t.end(up);
  }
  t.end(load);
  t.first_result();
  const StartupBreakdown b = t.breakdown();
  ASSERT_EQ(b.phases.size(), 2u);
  EXPECT_EQ(b.phases[0].name, "load");
  EXPECT_EQ(b.phases[0].parent, -1);
  EXPECT_EQ(b.phases[1].name, "upload");
  EXPECT_EQ(b.phases[1].parent, 0);
  EXPECT_EQ(b.phases[1].count, 3);
  EXPECT_GE(b.phases[1].ms, 6.0);
  EXPECT_LE(b.phases[1].ms, b.phases[0].ms);
  EXPECT_FALSE(b.process_start_known);
}

TEST(StartupTimeline, TopLevelPhasesAddUpToTheWallAndGapsAreUnattributed) {
  StartupTimeline t;
  t.arm(0);
  const int a = t.begin("a");
  sleep_ms(5);
  t.end(a);
  sleep_ms(20);  // covered by no phase
  const int c = t.begin("c");
  sleep_ms(5);
  t.end(c);
  t.first_result();
  const StartupBreakdown b = t.breakdown();
  ASSERT_TRUE(b.complete());
  EXPECT_GE(b.top_level_ms(), 10.0);
  EXPECT_GE(b.unattributed_ms(), 19.0);
  EXPECT_NEAR(b.top_level_ms() + b.unattributed_ms(), b.wall_ms(), 1e-6);
}

TEST(StartupTimeline, AnotherThreadsPhaseIsBackgroundAndNotInTheSum) {
  StartupTimeline t;
  t.arm(0);
  const int wait = t.begin("wait");
  std::thread worker([&t] {
    const int init = t.begin("init");
    const int inner = t.begin("handles");
    sleep_ms(10);
    t.end(inner);
    t.end(init);
  });
  worker.join();
  t.end(wait);
  t.first_result();
  const StartupBreakdown b = t.breakdown();
  const StartupPhase* init = find(b, "init");
  const StartupPhase* handles = find(b, "handles");
  ASSERT_TRUE(init && handles);
  EXPECT_TRUE(init->background);
  EXPECT_EQ(init->parent, -1);
  EXPECT_FALSE(handles->background);
  EXPECT_EQ(b.phases[static_cast<size_t>(handles->parent)].name, "init");
  // Only "wait" counts: the worker's 10 ms are inside it, not added again.
  EXPECT_NEAR(b.top_level_ms(), find(b, "wait")->ms, 1e-9);
  EXPECT_LE(b.top_level_ms(), b.wall_ms());
}

TEST(StartupTimeline, RecordedSpansGoUnderTheOpenPhaseAndCloseEndsRecording) {
  StartupTimeline t;
  t.arm(0);
  const int frame = t.begin("first_frame");
  const int64_t t0 = now_ns();
  t.record("inference", t0, t0 + 3'000'000);
  t.end(frame);
  t.first_result();
  EXPECT_EQ(t.begin("late"), -1);
  const StartupBreakdown b = t.breakdown();
  const StartupPhase* inf = find(b, "inference");
  ASSERT_NE(inf, nullptr);
  EXPECT_DOUBLE_EQ(inf->ms, 3.0);
  EXPECT_EQ(b.phases[static_cast<size_t>(inf->parent)].name, "first_frame");
  EXPECT_EQ(find(b, "late"), nullptr);
}

TEST(StartupTimeline, AProcessStartBecomesTheExecPhase) {
  const int64_t start = process_start_ns();
  ASSERT_GT(start, 0) << "/proc/self/stat gave no start time";
  EXPECT_LE(start, now_ns());
  StartupTimeline t;
  t.arm(start);
  t.first_result();
  const StartupBreakdown b = t.breakdown();
  ASSERT_TRUE(b.process_start_known);
  ASSERT_FALSE(b.phases.empty());
  EXPECT_EQ(b.phases[0].name, "exec");
  EXPECT_GE(b.phases[0].ms, 0.0);
  EXPECT_EQ(b.origin_ns, start);
  // A start after now is no start: the origin falls back to main.
  StartupTimeline later;
  later.arm(now_ns() + 1'000'000'000);
  EXPECT_FALSE(later.breakdown().process_start_known);
}

TEST(StartupTimeline, TheLineNamesPhasesChildrenAndTheRemainder) {
  StartupTimeline t;
  EXPECT_EQ(startup_line(t.breakdown()), "");
  t.arm(0);
  const int load = t.begin("load");
  const int up = t.begin("upload");
  t.end(up);
  t.end(load);
  t.first_result();
  const std::string line = startup_line(t.breakdown());
  EXPECT_NE(line.find("Start-up: "), std::string::npos) << line;
  EXPECT_NE(line.find("from main to the first result: load "), std::string::npos) << line;
  EXPECT_NE(line.find("(upload "), std::string::npos) << line;
  EXPECT_NE(line.find("unattributed "), std::string::npos) << line;
}

}  // namespace
}  // namespace ys
