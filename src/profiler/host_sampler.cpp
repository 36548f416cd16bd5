#include "profiler/host_sampler.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "core/clock.h"

namespace ys {
namespace {

// Reads a small /proc file whole with plain syscalls: ifstream's set-up would cost more than
// the read, and a full table scan does a hundred of these per sample.
bool slurp(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return !out.empty();
}

int64_t field_after(const std::string& text, const char* key) {
  const size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoll(text.c_str() + at + std::strlen(key), nullptr, 10);
}

// CPU time of the calling thread: a reading's cost, without the time it waited for a core.
int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool numeric(const char* s) {
  if (!*s) return false;
  for (; *s; ++s)
    if (*s < '0' || *s > '9') return false;
  return true;
}

}  // namespace

bool parse_proc_stat(const std::string& line, std::string& comm, int64_t& ticks,
                     int64_t& major_faults) {
  // The command name may hold spaces and parentheses: it runs from the first '(' to the last ')'.
  const size_t open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 2 > line.size())
    return false;
  comm = line.substr(open + 1, close - open - 1);
  // Fields from 3 (state) on, split by spaces: majflt is field 12, utime 14, stime 15.
  const char* p = line.c_str() + close + 2;
  int64_t utime = 0, stime = 0, majflt = 0;
  int field = 3;
  while (*p && field <= 15) {
    char* end = nullptr;
    if (field == 12) majflt = std::strtoll(p, &end, 10);
    if (field == 14) utime = std::strtoll(p, &end, 10);
    if (field == 15) stime = std::strtoll(p, &end, 10);
    while (*p && *p != ' ') ++p;
    while (*p == ' ') ++p;
    ++field;
  }
  if (field <= 15) return false;
  ticks = utime + stime;
  major_faults = majflt;
  return true;
}

HostSampler::HostSampler(int period_ms, double keep_seconds, const std::string& proc)
    : proc_(proc),
      period_ms_(period_ms),
      keep_seconds_(keep_seconds),
      self_pid_(static_cast<int>(::getpid())),
      start_ns_(now_ns()) {
  if (period_ms <= 0) return;
  // Each reading is moved into the bounded ring here: the generic sampler keeps nothing.
  sampler_.start(period_ms, PeriodicSampler<HostSample>::FirstReading::kAtStart,
                 [this](std::vector<HostSample>&) {
                   HostSample s;
                   const int64_t t0 = thread_cpu_ns();
                   const bool ok = read(s);
                   std::lock_guard<std::mutex> lock(mu_);
                   read_ns_ += thread_cpu_ns() - t0;
                   if (!ok) return;
                   kept_.push_back(s);
                   const auto horizon = s.t_ns - static_cast<int64_t>(keep_seconds_ * 1e9);
                   while (!kept_.empty() && kept_.front().t_ns < horizon) kept_.pop_front();
                 });
}

HostSampler::~HostSampler() {
  stop();
}

std::vector<HostSample> HostSampler::samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {kept_.begin(), kept_.end()};
}

double HostSampler::cost_pct() const {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t wall = now_ns() - start_ns_;
  return wall > 0 ? 100.0 * static_cast<double>(read_ns_) / static_cast<double>(wall) : 0;
}

bool HostSampler::read(HostSample& out) {
  const int64_t t = now_ns();
  const double tick_ns = 1e9 / static_cast<double>(std::max(1L, sysconf(_SC_CLK_TCK)));
  std::string text;
  int64_t busy = 0, iowait = 0;
  if (slurp(proc_ + "/stat", text)) {
    int64_t v[8] = {};
    const char* p = text.c_str() + 3;  // after "cpu"
    for (int64_t& x : v) x = std::strtoll(p, const_cast<char**>(&p), 10);
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    iowait = v[4];
    out.procs_running = static_cast<int32_t>(field_after(text, "procs_running "));
    out.procs_blocked = static_cast<int32_t>(field_after(text, "procs_blocked "));
  }
  std::string comm;
  int64_t self_ticks = 0, majflt = 0;
  if (slurp(proc_ + "/self/stat", text)) parse_proc_stat(text, comm, self_ticks, majflt);
  // Our threads: runnable-but-waiting time and involuntary switches, summed.
  int64_t wait_ns = 0, invol = 0;
  if (DIR* d = opendir((proc_ + "/self/task").c_str())) {
    while (dirent* e = readdir(d)) {
      if (!numeric(e->d_name)) continue;
      const std::string task = proc_ + "/self/task/" + e->d_name;
      if (slurp(task + "/schedstat", text)) {
        const char* p = text.c_str();
        std::strtoll(p, const_cast<char**>(&p), 10);  // time on a CPU
        wait_ns += std::strtoll(p, nullptr, 10);
      }
      if (slurp(task + "/status", text)) invol += field_after(text, "nonvoluntary_ctxt_switches:");
    }
    closedir(d);
  }
  // Every other process's CPU ticks since the previous reading.
  std::vector<HostProcess> procs;
  std::unordered_map<int, int64_t> ticks;
  int64_t others = 0;
  if (DIR* d = opendir(proc_.c_str())) {
    while (dirent* e = readdir(d)) {
      if (!numeric(e->d_name)) continue;
      const int pid = std::atoi(e->d_name);
      if (pid == self_pid_) continue;
      int64_t tk = 0, mf = 0;
      if (!slurp(proc_ + "/" + e->d_name + "/stat", text) || !parse_proc_stat(text, comm, tk, mf))
        continue;
      ticks[pid] = tk;
      // A process first seen after the first reading was born since the previous one: all its
      // time falls in this interval.
      const auto it = last_ticks_.find(pid);
      const int64_t delta = it != last_ticks_.end() ? tk - it->second : primed_ ? tk : 0;
      if (delta <= 0) continue;
      others += delta;
      HostProcess hp;
      hp.pid = pid;
      std::strncpy(hp.comm.data(), comm.c_str(), hp.comm.size() - 1);
      hp.cpu_pct = static_cast<float>(delta);  // ticks for now; a percentage below
      procs.push_back(hp);
    }
    closedir(d);
  }
  last_ticks_ = std::move(ticks);
  const bool was_primed = primed_;
  const double dt_ns = static_cast<double>(t - last_t_);
  if (was_primed && dt_ns > 0) {
    const auto pct = [&](int64_t d) {
      return static_cast<float>(100.0 * static_cast<double>(std::max<int64_t>(0, d)) * tick_ns /
                                dt_ns);
    };
    out.t_ns = t;
    out.interval_ms = static_cast<float>(dt_ns / 1e6);
    out.busy_pct = pct(busy - last_busy_);
    out.iowait_pct = pct(iowait - last_iowait_);
    out.self_cpu_pct = pct(self_ticks - last_self_);
    out.others_cpu_pct = pct(others);
    out.self_wait_ms = static_cast<float>(
        static_cast<double>(std::max<int64_t>(0, wait_ns - last_wait_ns_)) / 1e6);
    out.self_involuntary = static_cast<int32_t>(std::max<int64_t>(0, invol - last_invol_));
    out.self_major_faults = static_cast<int32_t>(std::max<int64_t>(0, majflt - last_majflt_));
    const size_t k = std::min(procs.size(), out.top.size());
    std::partial_sort(
        procs.begin(), procs.begin() + static_cast<std::ptrdiff_t>(k), procs.end(),
        [](const HostProcess& a, const HostProcess& b) { return a.cpu_pct > b.cpu_pct; });
    for (size_t i = 0; i < k; ++i) {
      out.top[i] = procs[i];
      out.top[i].cpu_pct = pct(static_cast<int64_t>(procs[i].cpu_pct));
    }
    out.top_count = static_cast<int32_t>(k);
  }
  primed_ = true;
  last_t_ = t;
  last_busy_ = busy;
  last_iowait_ = iowait;
  last_self_ = self_ticks;
  last_wait_ns_ = wait_ns;
  last_invol_ = invol;
  last_majflt_ = majflt;
  return was_primed && dt_ns > 0;
}

}  // namespace ys
