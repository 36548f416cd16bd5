// The one clock of DESIGN.md: nanoseconds on the host's steady clock. GPU timestamps are mapped
// onto it by the collectors that read them.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace ys {

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The wall clock as ISO 8601 UTC to the second ("2026-12-04T21:51:10Z"), for files' timestamps.
inline std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ys
