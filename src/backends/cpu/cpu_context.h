// State every oneDNN kernel of one CPU backend shares: the engine and stream, the thread count
// and one scratchpad. Ops run one after another, so a single scratchpad sized for the hungriest
// primitive serves them all, instead of one buffer per primitive or an allocation per run.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

namespace ys::cpu {

class Scratchpad {
 public:
  // Grows the buffer to at least `bytes`; growing moves it, so kernels look the pointer up on
  // every run (see PrimitiveKernel).
  void reserve(size_t bytes);
  void* data() const { return buffer_.get(); }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> buffer_;
  size_t bytes_ = 0;
};

struct CpuContext {
  explicit CpuContext(int thread_count);
  // Debian's oneDNN runs on OpenMP, whose thread count belongs to the calling thread; kernels
  // call this before work so an executor driven from any thread gets the configured count.
  void apply_threads() const;

  dnnl::engine engine;
  dnnl::stream stream;
  int threads = 1;
  Scratchpad scratch;
};

}  // namespace ys::cpu
