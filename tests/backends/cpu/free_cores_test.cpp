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

TEST(FreeCores, SamplesThisMachineWhenProcIsThere) {
  const int others = other_running_tasks();
  if (others < 0) GTEST_SKIP() << "/proc is not mounted here";
  EXPECT_GE(others, 0);
}

}  // namespace
}  // namespace ys::cpu
