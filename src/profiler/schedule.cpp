#include "profiler/schedule.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace ys {

ProfileSchedule::Phase ProfileSchedule::phase(int64_t frame) const {
  const int64_t cycle = wait + warmup + active;
  if (cycle <= 0) return Phase::kDone;
  const int64_t k = frame / cycle;
  if (repeat > 0 && k >= repeat) return Phase::kDone;
  const int64_t at = frame % cycle;
  if (at < wait) return Phase::kWait;
  if (at < wait + warmup) return Phase::kWarmup;
  return Phase::kActive;
}

std::string ProfileSchedule::str() const {
  return cat(wait, ",", warmup, ",", active, ",", repeat);
}

ProfileSchedule parse_profile_schedule(const std::string& text) {
  std::vector<int64_t> v;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    long long x = -1;
    try {
      x = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || x < 0 || x > kMaxScheduleFrames) {
      fail(ErrorKind::kInvalidArgument, "profile_schedule='", text, "': '", item,
           "' is not an integer from 0 to ", kMaxScheduleFrames,
           " (expected wait,warmup,active[,repeat])");
    }
    v.push_back(x);
  }
  if (v.size() < 3 || v.size() > 4) {
    fail(ErrorKind::kInvalidArgument, "profile_schedule='", text,
         "': expected wait,warmup,active[,repeat]");
  }
  if (v[2] == 0)
    fail(ErrorKind::kInvalidArgument, "profile_schedule='", text, "': active must be at least 1");
  ProfileSchedule s;
  s.wait = v[0];
  s.warmup = v[1];
  s.active = v[2];
  s.repeat = v.size() == 4 ? v[3] : 1;
  // Each step is at most 2^31 - 1, so this sum and product cannot overflow 64 bits.
  const int64_t frames = s.wait + s.warmup + s.active * std::max<int64_t>(s.repeat, 1);
  if (frames > kMaxScheduleFrames)
    fail(ErrorKind::kInvalidArgument, "profile_schedule='", text, "': spans ", frames,
         " frames (wait + warmup + active x repeat); at most ", kMaxScheduleFrames);
  return s;
}

}  // namespace ys
