#include "core/startup_timeline.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/clock.h"

namespace ys {

double StartupBreakdown::wall_ms() const {
  return complete() ? static_cast<double>(first_result_ns - origin_ns) / 1e6 : 0.0;
}

double StartupBreakdown::top_level_ms() const {
  double ms = 0;
  for (const StartupPhase& p : phases)
    if (p.parent < 0 && !p.background) ms += p.ms;
  return ms;
}

double StartupBreakdown::unattributed_ms() const {
  return wall_ms() - top_level_ms();
}

void StartupTimeline::arm(int64_t origin_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  b_ = {};
  open_.clear();
  stack_.clear();
  foreground_ = std::this_thread::get_id();
  b_.main_ns = now_ns();
  b_.process_start_known = origin_ns > 0 && origin_ns <= b_.main_ns;
  b_.origin_ns = b_.process_start_known ? origin_ns : b_.main_ns;
  if (b_.process_start_known) {
    // The loader mapping and relocating the shared libraries, and static initialisers.
    const int exec = add_phase("exec", -1, false, origin_ns);
    b_.phases[static_cast<size_t>(exec)].ms = static_cast<double>(b_.main_ns - origin_ns) / 1e6;
    b_.phases[static_cast<size_t>(exec)].count = 1;
  }
  armed_ = true;
  live_.store(true, std::memory_order_relaxed);
}

bool StartupTimeline::armed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return armed_;
}

int StartupTimeline::add_phase(std::string_view name, int parent, bool background,
                               int64_t begin_ns) {
  if (parent >= 0) {
    for (size_t i = 0; i < b_.phases.size(); ++i) {
      const StartupPhase& p = b_.phases[i];
      if (p.parent == parent && p.name == name) return static_cast<int>(i);
    }
  }
  b_.phases.push_back({std::string(name), parent, background, begin_ns, 0.0, 0});
  return static_cast<int>(b_.phases.size() - 1);
}

int StartupTimeline::begin(std::string_view name) {
  if (!live_.load(std::memory_order_relaxed)) return -1;
  const int64_t t = now_ns();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!live_.load(std::memory_order_relaxed)) return -1;
  const std::thread::id self = std::this_thread::get_id();
  std::vector<int>& stack = stack_[self];
  const int parent = stack.empty() ? -1 : open_[static_cast<size_t>(stack.back())].phase;
  const bool background = parent < 0 && self != foreground_;
  const int token = static_cast<int>(open_.size());
  open_.push_back({add_phase(name, parent, background, t), t});
  stack.push_back(token);
  return token;
}

void StartupTimeline::end(int token) {
  if (token < 0) return;
  const int64_t t = now_ns();
  std::lock_guard<std::mutex> lock(mutex_);
  if (static_cast<size_t>(token) >= open_.size()) return;  // the timeline was armed again
  const Open& o = open_[static_cast<size_t>(token)];
  StartupPhase& p = b_.phases[static_cast<size_t>(o.phase)];
  p.ms += static_cast<double>(t - o.begin_ns) / 1e6;
  ++p.count;
  std::vector<int>& stack = stack_[std::this_thread::get_id()];
  stack.erase(std::remove(stack.begin(), stack.end(), token), stack.end());
}

void StartupTimeline::record(std::string_view name, int64_t begin_ns, int64_t end_ns) {
  if (!live_.load(std::memory_order_relaxed) || end_ns < begin_ns) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!live_.load(std::memory_order_relaxed)) return;
  const std::thread::id self = std::this_thread::get_id();
  const std::vector<int>& stack = stack_[self];
  const int parent = stack.empty() ? -1 : open_[static_cast<size_t>(stack.back())].phase;
  StartupPhase& p = b_.phases[static_cast<size_t>(
      add_phase(name, parent, parent < 0 && self != foreground_, begin_ns))];
  p.ms += static_cast<double>(end_ns - begin_ns) / 1e6;
  ++p.count;
}

void StartupTimeline::first_result() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!live_.load(std::memory_order_relaxed)) return;
  b_.first_result_ns = now_ns();
  live_.store(false, std::memory_order_relaxed);
}

StartupBreakdown StartupTimeline::breakdown() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return b_;
}

StartupTimeline& process_startup() {
  static StartupTimeline timeline;
  return timeline;
}

int64_t process_start_ns() {
  std::ifstream in("/proc/self/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  // The command name, field 2, is in parentheses and may hold spaces and parentheses itself.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  long long ticks = -1;
  for (int k = 3; k <= 22 && fields >> field; ++k)
    if (k == 22) ticks = std::atoll(field.c_str());
  const long hz = ::sysconf(_SC_CLK_TCK);
  timespec boot{};
  if (ticks < 0 || hz <= 0 || ::clock_gettime(CLOCK_BOOTTIME, &boot) != 0) return 0;
  const int64_t now = now_ns();
  const int64_t boot_ns = static_cast<int64_t>(boot.tv_sec) * 1'000'000'000 + boot.tv_nsec;
  // starttime counts clock ticks since boot on the boot-time clock; the steady clock does not
  // count suspended time, so the two are matched through their readings now.
  const int64_t age = boot_ns - static_cast<int64_t>(ticks) * (1'000'000'000 / hz);
  if (age < 0 || age > 600'000'000'000) return 0;
  return now - age;
}

namespace {

std::string ms_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.1f" : "%.0f", ms);
  return buf;
}

std::string phase_text(const StartupBreakdown& b, size_t i) {
  const StartupPhase& p = b.phases[i];
  std::string s = p.name + " " + ms_text(p.ms);
  if (p.count > 1) s += " x" + std::to_string(p.count);
  std::string children;
  for (size_t k = i + 1; k < b.phases.size(); ++k) {
    if (b.phases[k].parent != static_cast<int>(i)) continue;
    const StartupPhase& c = b.phases[k];
    children += (children.empty() ? "" : ", ") + c.name + " " + ms_text(c.ms) +
                (c.count > 1 ? " x" + std::to_string(c.count) : "");
  }
  return children.empty() ? s : s + " (" + children + ")";
}

}  // namespace

std::string startup_line(const StartupBreakdown& b) {
  if (!b.complete()) return {};
  std::string fg, bg;
  for (size_t i = 0; i < b.phases.size(); ++i) {
    if (b.phases[i].parent >= 0) continue;
    std::string& to = b.phases[i].background ? bg : fg;
    to += (to.empty() ? "" : ", ") + phase_text(b, i);
  }
  std::string line = "Start-up: " + ms_text(b.wall_ms()) + " ms from " +
                     (b.process_start_known ? "process start" : "main") +
                     " to the first result: " + fg;
  if (!bg.empty()) line += "; on other threads: " + bg;
  return line + "; unattributed " + ms_text(b.unattributed_ms()) + " (ms)";
}

}  // namespace ys
