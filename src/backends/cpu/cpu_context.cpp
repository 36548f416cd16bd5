#include "backends/cpu/cpu_context.h"

#include <omp.h>

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

CpuContext::CpuContext(int thread_count)
    : engine(dnnl::engine::kind::cpu, 0),
      stream(engine),
      threads(thread_count > 0 ? thread_count : omp_get_max_threads()) {
  apply_threads();
}

void CpuContext::apply_threads() const {
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
}

}  // namespace ys::cpu
