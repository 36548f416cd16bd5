// The /proc host sampler: /proc/<pid>/stat lines with awkward command names, deltas between two
// readings of a planted /proc tree (other processes' CPU with pid and command, run queue, our
// threads' waits and switches, major faults), and real readings of this machine's /proc.
#include "profiler/host_sampler.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace ys {
namespace {

namespace fs = std::filesystem;

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string stat_line(int pid, const std::string& comm, int64_t utime, int64_t stime,
                      int64_t majflt) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  return std::to_string(pid) + " (" + comm + ") R 1 1 1 0 -1 0 10 0 " + std::to_string(majflt) +
         " 0 " + std::to_string(utime) + " " + std::to_string(stime) + " 0 0 20 0 1 0 100\n";
}

void plant(const fs::path& root, int64_t busy, int64_t sidecar_ticks, int running, int64_t wait_ns,
           int invol, int majflt) {
  put(root / "stat", "cpu  " + std::to_string(busy) + " 0 0 1000 5 0 0 0 0 0\nprocs_running " +
                         std::to_string(running) + "\nprocs_blocked 0\n");
  put(root / "self/stat", stat_line(1, "yolo", 50, 5, majflt));
  put(root / "self/task/1/schedstat", "1000 " + std::to_string(wait_ns) + " 3\n");
  put(root / "self/task/1/status",
      "Name:\tyolo\nvoluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t" +
          std::to_string(invol) + "\n");
  put(root / "4242/stat", stat_line(4242, "burst (x) side", sidecar_ticks, 0, 0));
  put(root / "77/stat", stat_line(77, "cc1plus", 10, 0, 0));
}

TEST(HostSampler, ParsesStatLinesWithSpacesAndParenthesesInTheName) {
  std::string comm;
  int64_t ticks = 0, majflt = 0;
  ASSERT_TRUE(parse_proc_stat(stat_line(9, "a) (b c", 7, 3, 12), comm, ticks, majflt));
  EXPECT_EQ(comm, "a) (b c");
  EXPECT_EQ(ticks, 10);
  EXPECT_EQ(majflt, 12);
  EXPECT_FALSE(parse_proc_stat("garbage", comm, ticks, majflt));
  EXPECT_FALSE(parse_proc_stat("9 (x) R 1 2", comm, ticks, majflt));
}

TEST(HostSampler, DeltasBetweenTwoReadingsOfAPlantedProc) {
  const fs::path root =
      fs::temp_directory_path() / ("ys_host_sampler_" + std::to_string(::getpid()));
  fs::remove_all(root);
  plant(root, 100, 1000, 2, 0, 4, 1);
  HostSampler s(0, 60, root.string());  // period 0: no thread; read() by hand
  HostSample a;
  EXPECT_FALSE(s.read(a));  // the first reading only primes the deltas
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  plant(root, 140, 1030, 6, 50000000, 14, 31);
  put(root / "5000/stat", stat_line(5000, "newborn", 2, 0, 0));
  HostSample b;
  ASSERT_TRUE(s.read(b));
  EXPECT_EQ(b.procs_running, 6);
  EXPECT_NEAR(b.self_wait_ms, 50, 1e-3);
  EXPECT_EQ(b.self_involuntary, 10);
  EXPECT_EQ(b.self_major_faults, 30);
  ASSERT_GE(b.top_count, 2);
  EXPECT_EQ(b.top[0].pid, 4242);
  EXPECT_EQ(b.top[0].name(), "burst (x) side");
  EXPECT_EQ(b.top[1].pid, 5000);  // born since the last reading: all its time counts
  // 30 ticks in about 0.2 s: about 1.5 cores at 100 ticks a second, less if the sleep ran long.
  EXPECT_GT(b.top[0].cpu_pct, 50);
  EXPECT_GT(b.others_cpu_pct, b.top[0].cpu_pct);
  fs::remove_all(root);
}

TEST(HostSampler, ReadsThisMachine) {
  HostSampler s(50, 60);
  std::vector<HostSample> v;
  for (int i = 0; i < 200 && v.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    v = s.samples();
  }
  s.stop();
  ASSERT_GE(v.size(), 2u);
  EXPECT_GE(v.back().procs_running, 1);  // this test's own thread, at least
  EXPECT_GT(v.back().interval_ms, 20);
  EXPECT_GE(s.cost_pct(), 0);
}

// Starts a busy child and takes readings until it has shown among the top processes twice (born
// since the last reading, then known: both must credit its CPU time) or time is up; then kills it
// and takes one more reading, which must not list it. A loaded machine may give the child few
// ticks, hence the many tries.
void expect_busy_child_seen_then_gone(HostSampler& s) {
  HostSample first;
  s.read(first);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    volatile uint64_t spin = 0;
    for (;;) spin = spin + 1;
  }
  const auto child_in = [&](const HostSample& x) {
    for (int32_t i = 0; i < x.top_count; ++i)
      if (x.top[static_cast<size_t>(i)].pid == child) return true;
    return false;
  };
  int seen = 0;
  for (int i = 0; i < 40 && seen < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    HostSample x;
    if (s.read(x) && child_in(x)) ++seen;
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(seen, 2) << "the busy child " << child << " was not among the top processes";
  HostSample after;
  ASSERT_TRUE(s.read(after));
  EXPECT_FALSE(child_in(after));
}

// The sampler keeps /proc/<pid>/stat open between readings and re-reads it from offset 0: a busy
// child must show its new ticks in later readings (a stale file would give it none).
TEST(HostSampler, KeptFilesSeeABusyChildAndItsExit) {
  HostSampler s(0, 60);
  expect_busy_child_seen_then_gone(s);
}

// With few descriptors allowed it keeps a quarter of them open (here 8) and opens the rest for
// each reading: the child, the newest pid and so past the kept ones, is still read.
TEST(HostSampler, PastItsDescriptorShareItStillReadsEveryProcess) {
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit few = old;
  few.rlim_cur = 32;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &few), 0);
  {
    HostSampler s(0, 60);
    expect_busy_child_seen_then_gone(s);
  }
  setrlimit(RLIMIT_NOFILE, &old);
}

}  // namespace
}  // namespace ys
