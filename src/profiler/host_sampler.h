// The host outside our process, from /proc, sampled on a background thread for the long-run
// blame: which other processes used the CPU in each interval (the top few by pid and command
// name), the run queue (procs_running), I/O wait, and for our own threads the time they were
// runnable but waiting for a core, their involuntary context switches and our major page faults.
// A period of 100 ms makes a burst of a few hundred milliseconds visible as one or more samples.
// A reading is a process table scan, so it is built to be cheap (docs/PERFORMANCE.md has the
// figures): every /proc file stays open between readings and is re-read from offset 0 with one
// pread, which regenerates its text; parsing works in place on a reused buffer without allocating.
// Only the last minutes of samples are kept, so a run of days stays bounded.
#pragma once

#include <dirent.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "profiler/periodic_sampler.h"

namespace ys {

struct HostProcess {
  int pid = 0;
  std::array<char, 16> comm{};  // as /proc/<pid>/stat gives it, at most 15 characters
  float cpu_pct = 0;            // of one core over the interval
  std::string name() const { return std::string(comm.data()); }
};

struct HostSample {
  int64_t t_ns = 0;  // end of the interval, host steady clock
  float interval_ms = 0;
  int32_t procs_running = 0, procs_blocked = 0;
  float busy_pct = 0;    // all CPUs, percent of one core
  float iowait_pct = 0;  // percent of one core
  float self_cpu_pct = 0;
  float others_cpu_pct = 0;      // every other process, percent of one core
  float self_wait_ms = 0;        // our threads' time runnable but not running (schedstat)
  int32_t self_involuntary = 0;  // our threads' involuntary context switches
  int32_t self_major_faults = 0;
  int32_t top_count = 0;
  std::array<HostProcess, 4> top{};  // other processes by CPU, largest first
};

// Parsing of one /proc/<pid>/stat line, exposed for tests: command name, utime + stime ticks and
// major faults; false when the line is not one.
bool parse_proc_stat(std::string_view line, std::string& comm, int64_t& ticks,
                     int64_t& major_faults);

// A /proc file held open across readings (closed on destruction).
class ProcFile {
 public:
  ProcFile() = default;
  explicit ProcFile(const std::string& path);
  ~ProcFile();
  ProcFile(ProcFile&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ProcFile& operator=(ProcFile&& o) noexcept;
  ProcFile(const ProcFile&) = delete;
  ProcFile& operator=(const ProcFile&) = delete;
  bool is_open() const { return fd_ >= 0; }
  // The file's current text into buf, NUL-terminated (buf grows when it does not fit): its
  // length, or -1 when it cannot be read, as when the process has gone.
  long read(std::vector<char>& buf) const;

 private:
  int fd_ = -1;
};

class HostSampler {
 public:
  HostSampler(int period_ms = 100, double keep_seconds = 180, const std::string& proc = "/proc");
  ~HostSampler();
  HostSampler(const HostSampler&) = delete;
  HostSampler& operator=(const HostSampler&) = delete;

  void stop() { sampler_.stop(); }
  int period_ms() const { return period_ms_; }
  // The kept samples, oldest first.
  std::vector<HostSample> samples() const;
  // CPU time spent reading (the sampler thread's own), as a share of one core over the
  // sampler's life, in percent.
  double cost_pct() const;
  // One reading now (the sampler's thread calls it; tests call it directly).
  bool read(HostSample& out);

 private:
  struct Tracked {
    int pid = 0;
    int64_t ticks = 0;
    ProcFile stat;  // closed beyond max_open_: then opened for each reading
  };
  struct Task {
    int tid = 0;
    ProcFile schedstat, status;
  };
  struct DirCloser {
    void operator()(DIR* d) const { closedir(d); }
  };
  using Dir = std::unique_ptr<DIR, DirCloser>;

  void read_tasks(int64_t& wait_ns, int64_t& involuntary);
  int64_t read_others(std::array<HostProcess, 4>& top, int32_t& top_count);

  std::string proc_;
  int period_ms_;
  double keep_seconds_;
  int self_pid_;
  int64_t start_ns_;
  size_t max_open_;  // other processes' stat files kept open at most
  mutable std::mutex mu_;
  std::deque<HostSample> kept_;
  int64_t read_ns_ = 0;
  // Held open for the next reading (the sampler thread's alone).
  ProcFile stat_, self_stat_;
  Dir proc_dir_, task_dir_;
  std::vector<Tracked> procs_, next_procs_;  // sorted by pid
  std::vector<Task> tasks_;
  std::vector<char> buf_;
  // The previous reading's counters, for the deltas.
  bool primed_ = false;
  int64_t last_t_ = 0, last_busy_ = 0, last_iowait_ = 0, last_self_ = 0, last_wait_ns_ = 0;
  int64_t last_invol_ = 0, last_majflt_ = 0;
  PeriodicSampler<HostSample> sampler_;  // last: joined before the state it reads goes
};

}  // namespace ys
