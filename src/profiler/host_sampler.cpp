#include "profiler/host_sampler.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "core/clock.h"

namespace ys {
namespace {

// Other processes' stat files kept open at most: a quarter of the descriptor limit (the soft
// limit is often 1024) and no more than 512, so a machine with thousands of processes cannot run
// the rest of the program out of descriptors; beyond it they are opened for each reading.
size_t max_open_processes() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 512;
  return std::min<size_t>(512, static_cast<size_t>(r.rlim_cur / 4));
}

int64_t field_after(const char* text, const char* key) {
  const char* at = std::strstr(text, key);
  return at ? std::strtoll(at + std::strlen(key), nullptr, 10) : 0;
}

// CPU time of the calling thread: a reading's cost, without the time it waited for a core.
int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The pid of a /proc entry, or 0 when the name is not a number.
int numeric(const char* s) {
  if (!*s) return 0;
  int v = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return 0;
    v = v * 10 + (*s - '0');
  }
  return v;
}

// One /proc/<pid>/stat line in place: the command name runs from the first '(' to the last ')'
// (it may hold both); then fields from 3 (state) on, majflt is field 12, utime 14, stime 15.
bool parse_stat(std::string_view line, std::string_view& comm, int64_t& ticks,
                int64_t& major_faults) {
  const size_t open = line.find('('), close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      close + 2 > line.size())
    return false;
  comm = line.substr(open + 1, close - open - 1);
  const char* p = line.data() + close + 2;
  const char* end = line.data() + line.size();
  int64_t utime = 0, stime = 0, majflt = 0;
  int field = 3;
  while (p < end && field <= 15) {
    if (field == 12 || field == 14 || field == 15) {
      int64_t v = 0;
      for (; p < end && *p >= '0' && *p <= '9'; ++p) v = v * 10 + (*p - '0');
      (field == 12 ? majflt : field == 14 ? utime : stime) = v;
    }
    while (p < end && *p != ' ') ++p;
    while (p < end && *p == ' ') ++p;
    ++field;
  }
  if (field <= 15) return false;
  ticks = utime + stime;
  major_faults = majflt;
  return true;
}

// Keeps the k largest by CPU, largest first, without collecting the whole table.
void keep_top(std::array<HostProcess, 4>& top, int32_t& count, const HostProcess& p) {
  auto n = static_cast<size_t>(count);
  if (n == top.size() && top[n - 1].cpu_pct >= p.cpu_pct) return;
  size_t i = std::min(n, top.size() - 1);
  for (; i > 0 && top[i - 1].cpu_pct < p.cpu_pct; --i) top[i] = top[i - 1];
  top[i] = p;
  count = static_cast<int32_t>(std::min(n + 1, top.size()));
}

}  // namespace

bool parse_proc_stat(std::string_view line, std::string& comm, int64_t& ticks,
                     int64_t& major_faults) {
  std::string_view name;
  if (!parse_stat(line, name, ticks, major_faults)) return false;
  comm.assign(name);
  return true;
}

ProcFile::ProcFile(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}

ProcFile::~ProcFile() {
  if (fd_ >= 0) ::close(fd_);
}

ProcFile& ProcFile::operator=(ProcFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

long ProcFile::read(std::vector<char>& buf) const {
  if (fd_ < 0) return -1;
  if (buf.size() < 1024) buf.resize(1024);
  // /proc text is generated at each read from offset 0, so a file that did not fit is read again
  // whole into a larger buffer rather than continued, which could mix two generations.
  for (;;) {
    const ssize_t n = ::pread(fd_, buf.data(), buf.size() - 1, 0);
    if (n <= 0) return -1;
    if (static_cast<size_t>(n) < buf.size() - 1) {
      buf[static_cast<size_t>(n)] = '\0';
      return static_cast<long>(n);
    }
    buf.resize(buf.size() * 2);
  }
}

HostSampler::HostSampler(int period_ms, double keep_seconds, const std::string& proc)
    : proc_(proc),
      period_ms_(period_ms),
      keep_seconds_(keep_seconds),
      self_pid_(static_cast<int>(::getpid())),
      start_ns_(now_ns()),
      max_open_(max_open_processes()) {
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

// Our threads: time runnable but waiting for a core, and involuntary switches, summed.
void HostSampler::read_tasks(int64_t& wait_ns, int64_t& involuntary) {
  if (!task_dir_) task_dir_.reset(opendir((proc_ + "/self/task").c_str()));
  if (!task_dir_) return;
  rewinddir(task_dir_.get());
  size_t alive = 0;  // tasks_[0, alive) are the ones listed now
  while (dirent* e = readdir(task_dir_.get())) {
    const int tid = numeric(e->d_name);
    if (tid <= 0) continue;
    auto it = std::find_if(tasks_.begin() + static_cast<std::ptrdiff_t>(alive), tasks_.end(),
                           [tid](const Task& t) { return t.tid == tid; });
    if (it == tasks_.end()) {
      const std::string dir = proc_ + "/self/task/" + e->d_name;
      tasks_.push_back({tid, ProcFile(dir + "/schedstat"), ProcFile(dir + "/status")});
      it = tasks_.end() - 1;
    }
    std::iter_swap(it, tasks_.begin() + static_cast<std::ptrdiff_t>(alive++));
    const Task& t = tasks_[alive - 1];
    if (t.schedstat.read(buf_) > 0) {
      char* p = buf_.data();
      std::strtoll(p, &p, 10);  // time on a CPU
      wait_ns += std::strtoll(p, nullptr, 10);
    }
    if (t.status.read(buf_) > 0)
      involuntary += field_after(buf_.data(), "nonvoluntary_ctxt_switches:");
  }
  tasks_.resize(alive);
}

// Every other process's CPU ticks since the previous reading; the top few into `top`.
int64_t HostSampler::read_others(std::array<HostProcess, 4>& top, int32_t& top_count) {
  if (!proc_dir_) proc_dir_.reset(opendir(proc_.c_str()));
  if (!proc_dir_) return 0;
  rewinddir(proc_dir_.get());
  next_procs_.clear();
  size_t open_files = 0;
  int64_t others = 0;
  while (dirent* e = readdir(proc_dir_.get())) {
    const int pid = numeric(e->d_name);
    if (pid <= 0 || pid == self_pid_) continue;
    Tracked t;
    t.pid = pid;
    bool known = false;
    const auto it = std::lower_bound(procs_.begin(), procs_.end(), pid,
                                     [](const Tracked& a, int p) { return a.pid < p; });
    if (it != procs_.end() && it->pid == pid) {
      t.ticks = it->ticks;
      t.stat = std::move(it->stat);
      known = true;
    }
    const bool had_file = t.stat.is_open();
    long n = t.stat.read(buf_);
    if (n < 0) {
      // Not open yet or beyond the cap; or its descriptor names a process that has gone while a
      // new one took its pid, which is then new to us.
      if (had_file) known = false;
      t.stat = ProcFile(proc_ + "/" + e->d_name + "/stat");
      n = t.stat.read(buf_);
    }
    std::string_view comm;
    int64_t tk = 0, mf = 0;
    if (n < 0 || !parse_stat({buf_.data(), static_cast<size_t>(n)}, comm, tk, mf)) continue;
    if (open_files < max_open_)
      ++open_files;
    else
      t.stat = ProcFile();
    // A process first seen after the first reading was born since the previous one: all its
    // time falls in this interval.
    const int64_t delta = known ? tk - t.ticks : primed_ ? tk : 0;
    t.ticks = tk;
    next_procs_.push_back(std::move(t));
    if (delta <= 0) continue;
    others += delta;
    HostProcess hp;
    hp.pid = pid;
    std::memcpy(hp.comm.data(), comm.data(), std::min(comm.size(), hp.comm.size() - 1));
    hp.cpu_pct = static_cast<float>(delta);  // ticks for now; a percentage in read()
    keep_top(top, top_count, hp);
  }
  // /proc lists pids in ascending order, so this sort has nothing to do there; a planted tree
  // in a test may list them in any order.
  std::sort(next_procs_.begin(), next_procs_.end(),
            [](const Tracked& a, const Tracked& b) { return a.pid < b.pid; });
  std::swap(procs_, next_procs_);
  return others;
}

bool HostSampler::read(HostSample& out) {
  const int64_t t = now_ns();
  const double tick_ns = 1e9 / static_cast<double>(std::max(1L, sysconf(_SC_CLK_TCK)));
  int64_t busy = 0, iowait = 0;
  if (!stat_.is_open()) stat_ = ProcFile(proc_ + "/stat");
  if (stat_.read(buf_) > 3) {
    int64_t v[8] = {};
    char* p = buf_.data() + 3;  // after "cpu"
    for (int64_t& x : v) x = std::strtoll(p, &p, 10);
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    iowait = v[4];
    out.procs_running = static_cast<int32_t>(field_after(buf_.data(), "procs_running "));
    out.procs_blocked = static_cast<int32_t>(field_after(buf_.data(), "procs_blocked "));
  }
  int64_t self_ticks = 0, majflt = 0;
  if (!self_stat_.is_open()) self_stat_ = ProcFile(proc_ + "/self/stat");
  if (const long n = self_stat_.read(buf_); n > 0) {
    std::string_view comm;
    parse_stat({buf_.data(), static_cast<size_t>(n)}, comm, self_ticks, majflt);
  }
  int64_t wait_ns = 0, invol = 0;
  read_tasks(wait_ns, invol);
  out.top_count = 0;
  const int64_t others = read_others(out.top, out.top_count);
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
    for (int32_t i = 0; i < out.top_count; ++i)
      out.top[static_cast<size_t>(i)].cpu_pct =
          pct(static_cast<int64_t>(out.top[static_cast<size_t>(i)].cpu_pct));
  } else {
    out.top_count = 0;
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
