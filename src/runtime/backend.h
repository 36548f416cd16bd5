// The execution-provider boundary (as in ONNX Runtime): a backend owns device memory and turns
// graph nodes into kernels. The runtime plans and sequences; it never knows which backend runs.
// Kernels are bound to their tensors when they are created, so running one is a single call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/graph.h"

namespace ys {

enum class DeviceKind { kCpu, kCuda };

// Hooks a GPU tracer hangs on a backend whose kernels run asynchronously: they bracket the
// enqueueing of one execution step's device work, eager or while a CUDA Graph is being captured
// (a replay enqueues nothing per step, so tracers map graph nodes back to steps at capture).
class DeviceObserver {
 public:
  virtual ~DeviceObserver() = default;
  virtual void on_enqueue_begin(size_t step) = 0;
  virtual void on_enqueue_end(size_t step) = 0;
};

// The profiling side of a backend whose kernels run asynchronously on a device, behind
// Backend::device_timer() as ONNX Runtime keeps its profiler behind GetProfiler(): a backend
// that runs on the host implements none of it.
class DeviceTimer {
 public:
  virtual ~DeviceTimer() = default;
  // Spans of execution steps to time on the device with events: span i runs from step starts[i]
  // up to starts[i+1] (the last one to the end of the forward). Returns false where the spans do
  // not fit the current plan.
  virtual bool set_span_timing(const std::vector<size_t>& starts) = 0;
  // Whether the following runs record span events, and for which spans: [first, last) of those
  // set_span_timing defined. Each event costs the device a few microseconds, so a profiler times
  // a few spans per run and rotates the range. A CUDA Graph backend replays a graph captured with
  // the event records (one per range), so untimed runs stay exactly as fast as before.
  virtual void enable_span_timing(bool on, size_t first = 0, size_t last = SIZE_MAX) = 0;
  // After synchronize(): each span's milliseconds in the last run, NaN for spans outside the
  // timed range; empty if the run was not timed.
  virtual std::vector<float> last_span_ms() const = 0;
  // Installs (or with nullptr removes) a DeviceObserver; captured graphs are dropped so the next
  // run captures again with the observer seeing every step.
  virtual void set_device_observer(DeviceObserver* observer) = 0;
  // Kernels one run() launches as far as the backend knows (a captured graph's kernel nodes);
  // -1 when unknown, e.g. eager runs, where libraries launch kernels of their own choosing.
  virtual int64_t kernels_per_run() const = 0;
  // The device index the backend runs on, for the profiler's device counters.
  virtual int device_index() const = 0;
  // Device bytes the backend's libraries hold as scratch (cuDNN's and cuBLAS's workspaces), for the
  // report's memory plan beside the arena; -1 when unknown.
  virtual int64_t workspace_bytes() const { return -1; }
};

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

  // Whether this backend has a kernel for the node's op, as ggml's supports_op answers: what a
  // graph needs can be checked before any memory or kernel exists. A kernel may still decline a
  // form the op-level answer cannot see (a dtype, an attribute); create_kernel then says which.
  virtual bool supports(const Graph& graph, const Node& node) const = 0;

  // Rewrites the graph before planning: fusions and tensor layouts this backend prefers.
  virtual void prepare(Graph& /*graph*/) {}
  // Called once every kernel of the graph prepare() was given exists: where a backend keeps what
  // it worked out while creating them (the CUDA backend's start-up cache).
  virtual void finish_kernels() {}
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

  // Device-side timing and tracing, or nullptr where the backend has none (a CPU backend: its
  // ops are timed on the host). Only a profiler reads it; running a model never needs it.
  virtual DeviceTimer* device_timer() { return nullptr; }
};

}  // namespace ys
