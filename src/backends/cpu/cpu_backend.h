// The CPU backend: oneDNN primitives for convolution (bias and activation fused), pooling,
// binary and eltwise ops, softmax and matmul, our own copy kernels for Concat, Split, Resize,
// Reshape and Transpose, and the reference evaluator for the rest, and for everything when the
// build has no oneDNN. prepare() stores 4-D activations as NHWC wherever every op touching them
// takes it; graph inputs and outputs always stay plain NCHW.
#pragma once

#include <memory>

#include "runtime/backend.h"

namespace ys {

struct CpuOptions {
  // Worker threads (OpenMP, which Debian's oneDNN is built on); 0: OMP_NUM_THREADS where it is
  // set, otherwise one per core that other processes leave free when the backend is created.
  int threads = 0;
};

std::shared_ptr<Backend> make_cpu_backend(const CpuOptions& options = {});
bool cpu_backend_has_onednn();

}  // namespace ys
