// Where a process's start-up goes, phase by phase, from the process's start to its first result
// (issue 19.3: "≤ 1 s to the first frame" cannot be worked on without knowing where the second
// goes). Every layer marks its own phases (the CLI its arguments and first frame, the pipeline the
// model file and graph, the runtime the arena and kernels, a backend its device and caches) into
// one process-wide timeline that `yolo` arms as main begins and closes at the first result; a
// phase marked while it is not armed (a test, the Python module, a second detector later) costs a
// relaxed atomic load and records nothing. A phase begun while another is open on the same thread
// is its child; children of one name under one parent merge (a weight upload per convolution is
// one child with a count). A phase begun on another thread with none open there is a background
// phase: it overlaps the foreground, which waits for it in a phase of its own, so the foreground's
// top-level phases alone add up to the wall time, and what they miss is said as unattributed.
// StartupTimeline is also a plain class, so tests run their own.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ys {

struct StartupPhase {
  std::string name;
  int parent = -1;          // index into StartupBreakdown::phases; -1: top level
  bool background = false;  // a top-level phase on another thread, overlapping the foreground
  int64_t begin_ns = 0;     // now_ns(); of the first occurrence where several merged
  double ms = 0;            // all occurrences together
  int count = 0;            // occurrences ended
};

struct StartupBreakdown {
  // The origin: the process's start where /proc says it (to its 10 ms clock tick), else main.
  bool process_start_known = false;
  int64_t origin_ns = 0;
  int64_t main_ns = 0;               // when the timeline was armed
  int64_t first_result_ns = 0;       // 0: the run reached no result
  std::vector<StartupPhase> phases;  // in the order they began

  bool complete() const { return first_result_ns > 0; }
  double wall_ms() const;          // origin to the first result
  double top_level_ms() const;     // the foreground's top-level phases, added up
  double unattributed_ms() const;  // wall_ms() - top_level_ms()
};

class StartupTimeline {
 public:
  // Opens the timeline on the calling thread (the foreground); `origin_ns` is the process start
  // (then an "exec" phase covers it up to now) or 0 for now.
  void arm(int64_t origin_ns);
  bool armed() const;
  // The token to end with; -1 (ending it is a no-op) where the timeline is not armed or closed.
  int begin(std::string_view name);
  void end(int token);
  // A phase timed elsewhere ([begin_ns, end_ns) on now_ns()'s clock), as a child of the calling
  // thread's innermost open phase.
  void record(std::string_view name, int64_t begin_ns, int64_t end_ns);
  // The first result is out: closes the timeline (later phases record nothing).
  void first_result();
  StartupBreakdown breakdown() const;

 private:
  struct Open {
    int phase;
    int64_t begin_ns;
  };
  int add_phase(std::string_view name, int parent, bool background, int64_t begin_ns);

  std::atomic<bool> live_{false};  // armed and not yet closed
  mutable std::mutex mutex_;
  bool armed_ = false;
  std::thread::id foreground_;
  StartupBreakdown b_;
  std::vector<Open> open_;                             // by token
  std::map<std::thread::id, std::vector<int>> stack_;  // open tokens per thread
};

// The process's timeline, which `yolo` arms.
StartupTimeline& process_startup();
// The process's start on now_ns()'s clock, from /proc/self/stat (to a 10 ms clock tick); 0 where
// it cannot be read or makes no sense.
int64_t process_start_ns();

// A phase of the process's timeline over a scope.
class StartupScope {
 public:
  explicit StartupScope(std::string_view name) : token_(process_startup().begin(name)) {}
  ~StartupScope() { process_startup().end(token_); }
  StartupScope(const StartupScope&) = delete;
  StartupScope& operator=(const StartupScope&) = delete;

 private:
  int token_;
};

// "Start-up: 1084 ms from process start to the first result: exec 12, args 0.1, load 920 (...)":
// top-level phases in order with their children in brackets, then background phases and what
// no phase covers. Empty where the breakdown is not complete.
std::string startup_line(const StartupBreakdown& b);

}  // namespace ys
