// The default thread count follows the cores other processes leave free (free_cores.h).
#include "backends/cpu/free_cores.h"

#include <gtest/gtest.h>

namespace ys::cpu {
namespace {

constexpr const char* kProcStat =
    "cpu  4705 356 584 3699 23 23 0 0 0 0\n"
    "cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0\n"
    "intr 114930548 113199788 3 0 5 263 0 4 [... lots more numbers ...]\n"
    "ctxt 1990473\n"
    "btime 1062191376\n"
    "processes 2915\n"
    "procs_running 3\n"
    "procs_blocked 0\n"
    "softirq 183433 0 21755 12 39 1137 231 21459 2263\n";

TEST(FreeCores, ReadsProcsRunningFromProcStat) {
  EXPECT_EQ(parse_procs_running(kProcStat), 3);
  EXPECT_EQ(parse_procs_running("procs_running 12"), 12);
}

TEST(FreeCores, ProcStatWithoutAUsableCountIsUnknown) {
  EXPECT_EQ(parse_procs_running(""), -1);
  EXPECT_EQ(parse_procs_running("cpu  1 2 3\nprocs_blocked 4\n"), -1);
  EXPECT_EQ(parse_procs_running("procs_running \n"), -1);
  EXPECT_EQ(parse_procs_running("procs_running x\n"), -1);
  EXPECT_EQ(parse_procs_running("procs_running 99999999999999999999\n"), -1);
  // Only a line that starts with the key counts.
  EXPECT_EQ(parse_procs_running("xprocs_running 3\n"), -1);
}

TEST(FreeCores, ReadsTheStateAfterTheLastParenthesis) {
  EXPECT_TRUE(task_stat_running("1234 (yolo) R 1 1234 1234 0 -1"));
  EXPECT_FALSE(task_stat_running("1234 (yolo) S 1 1234 1234 0 -1"));
  // A thread may name itself with spaces and parentheses.
  EXPECT_TRUE(task_stat_running("77 (a) S (b) R 1 2 3"));
  EXPECT_FALSE(task_stat_running("77 (a) R (b) S 1 2 3"));
  EXPECT_FALSE(task_stat_running("77 (truncated"));
  EXPECT_FALSE(task_stat_running("77 (x)"));
  EXPECT_FALSE(task_stat_running(""));
}

TEST(FreeCores, TakesAThreadPerCoreOthersLeaveFree) {
  EXPECT_EQ(threads_for_free_cores(2, 2, 0), 2);  // a quiet machine
  EXPECT_EQ(threads_for_free_cores(2, 2, 1), 1);  // one core kept busy elsewhere
  EXPECT_EQ(threads_for_free_cores(2, 2, 6), 1);  // more load than cores: still one thread
  EXPECT_EQ(threads_for_free_cores(16, 16, 5), 11);
}

TEST(FreeCores, NeverMoreThanOpenMpAllows) {
  // taskset or OMP_THREAD_LIMIT give OpenMP fewer threads than the machine has cores.
  EXPECT_EQ(threads_for_free_cores(4, 16, 2), 4);
  EXPECT_EQ(threads_for_free_cores(0, 16, 2), 1);
}

TEST(FreeCores, UnknownLoadKeepsOpenMpsCount) {
  EXPECT_EQ(threads_for_free_cores(8, 8, -1), 8);
  EXPECT_EQ(threads_for_free_cores(8, 0, 3), 8);
}

// Two /proc/stat texts 100 ticks apart: cpu0 idle, cpu1 fully busy, cpu2 half busy.
constexpr const char* kBefore =
    "cpu  300 0 300 900 0 0 0 0 0 0\n"
    "cpu0 100 0 100 300 0 0 0 0 0 0\n"
    "cpu1 100 0 100 300 0 0 0 0 0 0\n"
    "cpu2 100 0 100 300 0 0 0 0 0 0\n"
    "procs_running 2\n";
constexpr const char* kAfter =
    "cpu  450 0 300 1050 0 0 0 0 0 0\n"
    "cpu0 100 0 100 400 0 0 0 0 0 0\n"
    "cpu1 160 0 140 300 0 0 0 0 0 0\n"
    "cpu2 150 0 100 340 10 0 0 0 0 0\n"
    "procs_running 2\n";

TEST(FreeCores, AddsTheBusyShareOfTheListedCpus) {
  EXPECT_DOUBLE_EQ(busy_cores_between(kBefore, kAfter, {0}), 0.0);
  EXPECT_DOUBLE_EQ(busy_cores_between(kBefore, kAfter, {1}), 1.0);
  EXPECT_DOUBLE_EQ(busy_cores_between(kBefore, kAfter, {0, 1}), 1.0);
  EXPECT_DOUBLE_EQ(busy_cores_between(kBefore, kAfter, {0, 1, 2}), 1.5);
}

TEST(FreeCores, CpusMissingOrUnchangedCountAsIdle) {
  EXPECT_DOUBLE_EQ(busy_cores_between(kBefore, kAfter, {7}), 0.0);
  EXPECT_DOUBLE_EQ(busy_cores_between(kBefore, kBefore, {0, 1, 2}), 0.0);
  EXPECT_DOUBLE_EQ(busy_cores_between("", kAfter, {1}), 0.0);
  // The all-CPU "cpu " line is not a CPU of its own.
  EXPECT_DOUBLE_EQ(busy_cores_between("cpu  1 0 0 1 0 0 0 0\n", "cpu  9 0 0 1 0 0 0 0\n", {0}),
                   0.0);
}

TEST(FreeCores, SamplesThisMachineWhenProcIsThere) {
  const int others = other_running_tasks();
  if (others < 0) GTEST_SKIP() << "/proc is not mounted here";
  EXPECT_GE(others, 0);
  EXPECT_GE(others_busy_cores({0}), 0);
}

}  // namespace
}  // namespace ys::cpu
