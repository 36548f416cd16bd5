// libgomp (OpenMP under Debian's oneDNN) spin-waits at every barrier for up to 300,000 pauses, a
// few milliseconds. When another process keeps one of the team's cores busy, the waiting threads
// burn whole time slices: a 2-thread team on 2 cores took 1,024 ms a frame instead of 57 ms.
// GOMP_SPINCOUNT=1000 bounds each wait to microseconds (that frame: 115 ms) and costs about 2% on
// a quiet machine, where OMP_WAIT_POLICY=passive costs 16%. libgomp reads both only in its
// initialiser, which the dynamic loader runs before any code of ours, main and our own
// constructors included, so the setting takes a restart of the program with it in the
// environment.
#pragma once

#include <string>
#include <vector>

namespace ys::cpu {

inline constexpr const char* kShortSpinCount = "GOMP_SPINCOUNT=1000";

// The environment to restart with: `envp` (null-terminated) plus kShortSpinCount; empty when
// there is nothing to do because the user chose a wait policy or spin count (or a restart set it).
std::vector<std::string> short_spin_environment(const char* const* envp);

// Replaces this process with the same program, arguments and environment plus kShortSpinCount,
// when short_spin_environment asks for it. Returns when it does not, when the program was started
// through the dynamic loader by hand or with raised privileges, or when exec fails: the run then
// goes on with libgomp's long spin-waits. Call it first thing in main, before any thread starts.
void restart_with_short_spin_waits(char** argv);

}  // namespace ys::cpu
