// Internals shared by the CUDA kernels: error checks that turn CUDA, cuDNN and cuBLAS statuses
// into ys::Error, RAII owners for their handles and device memory, the per-backend Context (stream,
// library handles, workspace, weight pool, span-timing events, the device observer), and
// CudaKernel, the base that decides whether a run enqueues its own work or replays the captured
// forward it belongs to (the plain one, or the one captured with span events when timed).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/plan_cache.h"
#include "runtime/backend.h"

namespace ys::cuda {

void check(cudnnStatus_t status, const char* what);
void check(cublasStatus_t status, const char* what);

template <typename T, auto Destroy>
struct Destroyer {
  void operator()(T* p) const {
    if (p) (void)Destroy(p);
  }
};
template <typename T, auto Destroy>
using Owned = std::unique_ptr<T, Destroyer<T, Destroy>>;

using StreamPtr = Owned<CUstream_st, cudaStreamDestroy>;
using EventPtr = Owned<CUevent_st, cudaEventDestroy>;
using GraphPtr = Owned<CUgraph_st, cudaGraphDestroy>;
using GraphExecPtr = Owned<CUgraphExec_st, cudaGraphExecDestroy>;
using CudnnPtr = Owned<cudnnContext, cudnnDestroy>;
using CublasPtr = Owned<cublasContext, cublasDestroy>;
using TensorDescPtr = Owned<cudnnTensorStruct, cudnnDestroyTensorDescriptor>;
using FilterDescPtr = Owned<cudnnFilterStruct, cudnnDestroyFilterDescriptor>;
using ConvDescPtr = Owned<cudnnConvolutionStruct, cudnnDestroyConvolutionDescriptor>;
using ActivationDescPtr = Owned<cudnnActivationStruct, cudnnDestroyActivationDescriptor>;

// cudaMalloc'd bytes; an allocation that does not fit throws kOutOfMemory naming `what`, the size
// asked for and what the device had free.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(size_t bytes, const std::string& what);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }
  size_t size() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

class CudaKernel;

// The kernels of one plan, in execution order (kernel i is execution step i: the executor
// creates one kernel per node, in order), and the graphs captured from them.
struct Forward {
  std::vector<CudaKernel*> kernels;
  int runs = 0;
  bool capture_failed = false;
  GraphExecPtr exec;  // the plain forward
  // The same with the span events of one range [first, last) recorded, for timed runs.
  std::map<std::pair<size_t, size_t>, GraphExecPtr> timed_exec;
  int64_t kernel_nodes = -1;  // kernel nodes in the plain graph, once captured
  // The Context's generations the graphs were captured under; a mismatch drops them.
  uint64_t observer_generation = 0, timing_generation = 0;

  void drop_graphs() {
    exec.reset();
    timed_exec.clear();
  }
};

// DeviceTimer::set_span_timing's state: events[i] is recorded before span i's first step, the last
// one after the forward's last step.
struct SpanTiming {
  std::vector<int> span_at;  // per step: the span it starts, or -1
  std::vector<EventPtr> events;
  bool enabled = false;
  size_t first = 0, last = SIZE_MAX;  // the spans timed runs record
  bool last_run_timed = false;
  size_t last_first = 0, last_end = 0;  // the range the last timed run recorded
  uint64_t generation = 0;  // bumped when the events change, so timed graphs are captured again
  bool fits(const Forward& f) const {
    return !events.empty() && span_at.size() == f.kernels.size();
  }
  size_t spans() const { return events.empty() ? 0 : events.size() - 1; }
  // Whether event i (the start of span i, the end of span i - 1) belongs to the range.
  bool records(size_t i) const { return i >= last_first && i <= last_end; }
};

// What the convolutions of the current plan worked out at creation, counted so that a test can
// tell a start-up cache hit (all zero but plans_loaded) from a load that tuned.
struct StartupCounters {
  int algorithm_finds = 0;  // cudnnFindConvolutionForwardAlgorithmEx calls
  int timings = 0;          // fused candidates timed on the device against the unfused path
  int plans_built = 0;      // fused plans finalized from cuDNN's heuristics (NVRTC for some)
  int plans_loaded = 0;     // fused plans restored from the start-up cache's JSON
  int plans_alone = 0;      // a stored engine finalized alone (no JSON, or cuDNN refused it)
};

struct Context {
  Context(int device, bool half, bool graphs, size_t workspace_bytes);

  int device;
  bool half;
  bool graphs;
  bool graph_fusion = true;   // CudaOptions::graph_fusion
  int fusion_candidates = 1;  // CudaOptions::fusion_candidates
  size_t workspace_limit;
  StreamPtr stream;
  CudnnPtr cudnn;
  CublasPtr cublas;  // made by cublas_handle(), at the first kernel that needs it
  DeviceBuffer cublas_workspace;
  DeviceBuffer workspace;            // cuDNN's, allocated at the first convolution's creation
  std::shared_ptr<Forward> forward;  // the plan whose kernels are being created
  SpanTiming timing;
  DeviceObserver* observer = nullptr;
  uint64_t observer_generation = 0;  // bumped when the observer changes: graphs are re-captured
  ConvCache conv_cache;              // the start-up cache of the plan being created
  StartupCounters counters;          // of the plan being created
  std::string cache_note;            // finish_conv_cache's line for the last plan

  // Copies host bytes into the weight pool (chunks of several MiB, so a model's few hundred
  // constants take a handful of allocations) and returns their device address.
  void* upload(const void* host, size_t bytes);
  void* cudnn_workspace();
  // cuBLAS's handle on the stream, with its workspace, made at the first call: a kernel's creation
  // (never inside a capture). A model without MatMul (YOLOv8) never pays for cublasCreate.
  cublasHandle_t cublas_handle();
  cudaStream_t s() const { return stream.get(); }

 private:
  std::vector<DeviceBuffer> chunks_;
  size_t used_ = 0;
};

class CudaKernel : public Kernel {
 public:
  CudaKernel(std::shared_ptr<Context> ctx, std::string label);
  ~CudaKernel() override;
  void run() final;
  std::string implementation() const override { return label_; }
  // Queues this op's work on the stream; must not synchronise (it runs under stream capture).
  virtual void enqueue() = 0;

 protected:
  Context& ctx() const { return *ctx_; }
  std::string label_;

 private:
  void enqueue_step(size_t step, bool timed, bool capturing);
  bool capture(bool timed);

  std::shared_ptr<Context> ctx_;
  std::shared_ptr<Forward> forward_;
  size_t index_ = 0;
};

Elem elem_of(DType t, const std::string& what);

}  // namespace ys::cuda
