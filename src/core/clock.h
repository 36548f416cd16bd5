// The one clock of DESIGN.md: nanoseconds on the host's steady clock. GPU timestamps are mapped
// onto it by the collectors that read them.
#pragma once

#include <chrono>
#include <cstdint>

namespace ys {

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace ys
