// The execution-provider boundary (as in ONNX Runtime): a backend owns device memory and turns
// graph nodes into kernels. The runtime plans and sequences; it never knows which backend runs.
// Kernels are bound to their tensors when they are created, so running one is a single call.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/graph.h"

namespace ys {

enum class DeviceKind { kCpu, kCuda };

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run() = 0;
  // A short label for profiles, e.g. "onednn:brgconv:avx512_core" or "reference".
  virtual std::string implementation() const { return {}; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual DeviceKind device() const = 0;

  // Rewrites the graph before planning: fusions and tensor layouts this backend prefers.
  virtual void prepare(Graph& /*graph*/) {}
  // inputs[i] / outputs[i] are views of the node's tensors: constants in host memory, everything
  // else in the arena. An empty tensor marks an omitted optional input. Throws kUnsupported.
  virtual std::unique_ptr<Kernel> create_kernel(const Graph& graph, const Node& node,
                                                const std::vector<Tensor>& inputs,
                                                const std::vector<Tensor>& outputs) = 0;

  // The arena: one allocation for the whole plan.
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr) = 0;
  virtual void copy_to_device(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t bytes) = 0;
  // Waits until all queued work is done (a no-op on a synchronous CPU backend).
  virtual void synchronize() {}
};

}  // namespace ys
