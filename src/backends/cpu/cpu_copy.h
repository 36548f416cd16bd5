// Data movement shared by the copy-based kernels: moving rows between one strided tensor and
// several dense ones (Concat gathers, Split scatters) and plain parallel memcpy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ys::cpu {

class RowCopier {
 public:
  struct Part {
    std::byte* data;  // the dense tensor: `outer` rows of row_bytes
    size_t row_bytes;
    size_t offset;  // where its row starts inside a row of the joined tensor
  };
  // `joined` holds `outer` rows of joined_row bytes; gather copies parts into it, scatter out.
  RowCopier(std::byte* joined, size_t joined_row, int64_t outer, std::vector<Part> parts,
            bool gather, int threads);
  void run() const;

 private:
  std::byte* joined_;
  size_t joined_row_;
  int64_t outer_;
  std::vector<Part> parts_;
  bool gather_;
  int threads_;
  int64_t chunks_ = 1;  // pieces each row is cut into, so that few large rows still spread out
  bool parallel_ = false;
};

void parallel_memcpy(void* dst, const void* src, size_t bytes, int threads);

}  // namespace ys::cpu
