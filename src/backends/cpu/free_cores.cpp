#include "backends/cpu/free_cores.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
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

}  // namespace

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
