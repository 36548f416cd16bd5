// How many cores other processes leave free, for the default thread count. libgomp, which
// Debian's oneDNN runs on, spin-waits at every barrier: a team with a thread on a core that
// another process keeps busy burns its time slices waiting for that thread, and ran 2-15x slower
// than one thread. So a default run takes a thread per core that no one else is using.
#pragma once

#include <string_view>
#include <vector>

namespace ys::cpu {

// Runnable tasks on the whole machine, ours included: /proc/stat's `procs_running` line;
// -1 when the text has none.
int parse_procs_running(std::string_view proc_stat);

// Whether a /proc/<pid>/task/<tid>/stat text says that the task is running or runnable (state R).
bool task_stat_running(std::string_view task_stat);

// The thread count for a default run: the online CPUs less the tasks that other processes keep
// runnable, at least 1 and at most `max_threads`. A negative `others_running` (unknown) gives
// `max_threads`.
int threads_for_free_cores(int max_threads, int online_cpus, int others_running);

// The cores among `cpus` that were busy between two /proc/stat texts: each listed CPU's busy
// share of its ticks (`cpuN` lines), summed; a CPU missing from either text counts as idle.
double busy_cores_between(std::string_view before, std::string_view after,
                          const std::vector<int>& cpus);

// The cores among `cpus` that other processes keep busy: their busy share over a 50 ms window of
// /proc/stat, less our own CPU time, rounded; -1 when /proc cannot be read. For a process confined
// to some of the machine's cores (taskset, a cpuset), where `procs_running` cannot say whose cores
// the load is on.
int others_busy_cores(const std::vector<int>& cpus);

// Tasks of other processes that are runnable now: the fewest over a few reads a couple of
// milliseconds apart, so that a short-lived process is not taken for lasting load; -1 when /proc
// cannot be read.
int other_running_tasks();

}  // namespace ys::cpu
