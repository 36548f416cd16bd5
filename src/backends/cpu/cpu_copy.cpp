#include "backends/cpu/cpu_copy.h"

#include <algorithm>
#include <cstring>

namespace ys::cpu {
namespace {

// Below this many bytes, waking the OpenMP team costs more than the copy.
constexpr size_t kParallelBytes = 64 * 1024;

}  // namespace

RowCopier::RowCopier(std::byte* joined, size_t joined_row, int64_t outer, std::vector<Part> parts,
                     bool gather, int threads)
    : joined_(joined),
      joined_row_(joined_row),
      outer_(outer),
      parts_(std::move(parts)),
      gather_(gather),
      threads_(threads) {
  const size_t total = joined_row_ * static_cast<size_t>(outer_);
  parallel_ = threads_ > 1 && total >= kParallelBytes;
  const int64_t wanted = 4 * static_cast<int64_t>(threads_);
  if (parallel_ && outer_ < wanted) chunks_ = std::max<int64_t>(1, (wanted + outer_ - 1) / outer_);
}

void RowCopier::run() const {
  const int64_t tasks = outer_ * chunks_;
#pragma omp parallel for num_threads(threads_) schedule(static) if (parallel_)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t o = t / chunks_, c = t % chunks_;
    std::byte* row = joined_ + static_cast<size_t>(o) * joined_row_;
    for (const Part& p : parts_) {
      const size_t lo = p.row_bytes * static_cast<size_t>(c) / static_cast<size_t>(chunks_);
      const size_t hi = p.row_bytes * static_cast<size_t>(c + 1) / static_cast<size_t>(chunks_);
      std::byte* dense = p.data + static_cast<size_t>(o) * p.row_bytes + lo;
      std::byte* strided = row + p.offset + lo;
      if (gather_) {
        std::memcpy(strided, dense, hi - lo);
      } else {
        std::memcpy(dense, strided, hi - lo);
      }
    }
  }
}

void parallel_memcpy(void* dst, const void* src, size_t bytes, int threads) {
  if (dst == src) return;
  const int64_t chunks = threads > 1 && bytes >= kParallelBytes ? 4 * threads : 1;
#pragma omp parallel for num_threads(threads) schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const size_t lo = bytes * static_cast<size_t>(c) / static_cast<size_t>(chunks);
    const size_t hi = bytes * static_cast<size_t>(c + 1) / static_cast<size_t>(chunks);
    std::memcpy(static_cast<std::byte*>(dst) + lo, static_cast<const std::byte*>(src) + lo,
                hi - lo);
  }
}

}  // namespace ys::cpu
