#include "backends/cpu/cpu_context.h"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "backends/cpu/free_cores.h"
#include "core/error.h"

namespace ys::cpu {

void Scratchpad::reserve(size_t bytes) {
  if (bytes <= bytes_) return;
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p)
    fail(ErrorKind::kOutOfMemory, "cpu backend: cannot allocate a scratchpad of ", bytes, " bytes");
  buffer_.reset(p);
  bytes_ = rounded;
}

namespace {

// The CPUs this process may run on; empty when unknown.
std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// threads=0: a thread per core that other processes leave free (see free_cores.h), unless the
// user fixed the count with OMP_NUM_THREADS. Decided once: oneDNN sizes each primitive's work
// split for the count current when it is created.
int default_threads() {
  const int max_threads = omp_get_max_threads();
  if (std::getenv("OMP_NUM_THREADS")) return max_threads;
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  const int others = other_running_tasks();
  const std::vector<int> cpus = allowed_cpus();
  // Confined to some of the cores: the machine-wide count cannot say whose cores are busy, so
  // look at ours (a 50 ms window, paid only when something else is running).
  if (others > 0 && !cpus.empty() && static_cast<long>(cpus.size()) < online)
    return threads_for_free_cores(max_threads, static_cast<int>(cpus.size()),
                                  others_busy_cores(cpus));
  return threads_for_free_cores(max_threads, online > 0 ? static_cast<int>(online) : 0, others);
}

}  // namespace

CpuContext::CpuContext(int thread_count)
    : engine(dnnl::engine::kind::cpu, 0),
      stream(engine),
      threads(thread_count > 0 ? thread_count : default_threads()) {
  apply_threads();
}

void CpuContext::apply_threads() const {
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
}

}  // namespace ys::cpu
