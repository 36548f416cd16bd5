// Which frames the profiler measures, like torch.profiler.schedule: skip `wait` frames (cold
// start: page faults, oneDNN primitive JIT, caches), run `warmup` frames unrecorded, record
// `active` frames, and do that `repeat` times (0: until the source ends).
#pragma once

#include <cstdint>
#include <string>

namespace ys {

struct ProfileSchedule {
  int64_t wait = 5;
  int64_t warmup = 10;
  int64_t active = 100;
  int64_t repeat = 1;

  enum class Phase { kWait, kWarmup, kActive, kDone };
  // Phase of the n-th frame (0-based) of the run.
  Phase phase(int64_t frame) const;
  // Frames recorded in total; -1 when unbounded (repeat 0).
  int64_t active_frames() const { return repeat > 0 ? active * repeat : -1; }
  std::string str() const;
};

// The most frames a schedule may span (wait + warmup + active x repeat): frame counts are ints
// downstream (a synthetic source makes exactly this many), and the bound keeps phase() and
// active_frames() free of overflow.
inline constexpr int64_t kMaxScheduleFrames = 2147483647;

// Parses "wait,warmup,active[,repeat]"; throws ys::Error naming the text and the rule broken.
ProfileSchedule parse_profile_schedule(const std::string& text);

}  // namespace ys
