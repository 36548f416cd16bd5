#include "backends/cpu/free_cores.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

namespace ys::cpu {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream f(path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Our own runnable threads, which /proc/stat counts with everyone else's; -1 when unreadable.
int own_running_tasks() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/task", ec);
  if (ec) return -1;
  int running = 0;
  for (const auto& task : it)
    if (task_stat_running(read_text(task.path() / "stat"))) ++running;
  return running;
}

struct Ticks {
  int64_t busy = 0, total = 0;
};

// Per-CPU ticks from the `cpuN` lines (the first, `cpu ` line sums them all).
std::map<int, Ticks> per_cpu_ticks(std::string_view proc_stat) {
  std::map<int, Ticks> ticks;
  std::istringstream in{std::string(proc_stat)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 4 || !line.starts_with("cpu") || line[3] < '0' || line[3] > '9') continue;
    std::istringstream fields(line.substr(3));
    int cpu = -1;
    int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(fields >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal))
      continue;
    const int64_t busy = user + nice + system + irq + softirq + steal;
    ticks[cpu] = {busy, busy + idle + iowait};
  }
  return ticks;
}

double own_cpu_seconds() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

}  // namespace

double busy_cores_between(std::string_view before, std::string_view after,
                          const std::vector<int>& cpus) {
  const std::map<int, Ticks> a = per_cpu_ticks(before), b = per_cpu_ticks(after);
  double busy = 0;
  for (int cpu : cpus) {
    const auto i = a.find(cpu), j = b.find(cpu);
    if (i == a.end() || j == b.end()) continue;
    const int64_t total = j->second.total - i->second.total;
    const int64_t used = j->second.busy - i->second.busy;
    if (total > 0)
      busy += std::clamp(static_cast<double>(used) / static_cast<double>(total), 0.0, 1.0);
  }
  return busy;
}

int others_busy_cores(const std::vector<int>& cpus) {
  constexpr auto kWindow = std::chrono::milliseconds(50);
  const std::string before = read_text("/proc/stat");
  const double own_before = own_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(kWindow);
  const std::string after = read_text("/proc/stat");
  const double own = own_cpu_seconds() - own_before;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (before.empty() || after.empty() || seconds <= 0) return -1;
  const double others = busy_cores_between(before, after, cpus) - own / seconds;
  return std::max(0, static_cast<int>(std::lround(others)));
}

int parse_procs_running(std::string_view proc_stat) {
  constexpr std::string_view kKey = "procs_running ";
  size_t at = 0;
  while (at < proc_stat.size()) {
    const size_t end = std::min(proc_stat.find('\n', at), proc_stat.size());
    const std::string_view line = proc_stat.substr(at, end - at);
    if (line.starts_with(kKey)) {
      int n = 0;
      bool digits = false;
      for (char c : line.substr(kKey.size())) {
        if (c < '0' || c > '9') break;
        if (n > 1'000'000) return -1;
        n = n * 10 + (c - '0');
        digits = true;
      }
      return digits ? n : -1;
    }
    at = end + 1;
  }
  return -1;
}

bool task_stat_running(std::string_view task_stat) {
  // "tid (comm) S ...": the name may hold spaces and parentheses, so the state follows the last
  // ')'.
  const size_t close = task_stat.rfind(')');
  return close != std::string_view::npos && close + 2 < task_stat.size() &&
         task_stat[close + 1] == ' ' && task_stat[close + 2] == 'R';
}

int threads_for_free_cores(int max_threads, int online_cpus, int others_running) {
  max_threads = std::max(1, max_threads);
  if (others_running < 0 || online_cpus <= 0) return max_threads;
  return std::clamp(online_cpus - others_running, 1, max_threads);
}

int other_running_tasks() {
  constexpr int kReads = 5;
  constexpr auto kGap = std::chrono::milliseconds(2);
  int fewest = -1;
  for (int i = 0; i < kReads; ++i) {
    if (i > 0) std::this_thread::sleep_for(kGap);
    const int all = parse_procs_running(read_text("/proc/stat"));
    const int own = own_running_tasks();
    if (all < 0 || own < 0) return -1;
    const int others = std::max(0, all - own);
    fewest = fewest < 0 ? others : std::min(fewest, others);
  }
  return fewest;
}

}  // namespace ys::cpu
