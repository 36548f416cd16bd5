#include "backends/cuda/cuda_context.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/startup_timeline.h"

namespace ys::cuda {

void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    fail(ErrorKind::kOutOfMemory, "cuda: out of memory in ", what, " (", free_b >> 20,
         " MiB free of ", total_b >> 20, " MiB)");
  }
  fail(ErrorKind::kInternal, "cuda: ", what, " failed: ", cudaGetErrorName(status), " (",
       cudaGetErrorString(status), ")");
}

[[noreturn]] void unsupported(const char* message) {
  fail(ErrorKind::kUnsupported, message);
}

void check(cudnnStatus_t status, const char* what) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  char detail[512] = {};
  cudnnGetLastErrorString(detail, sizeof(detail));
  fail(status == CUDNN_STATUS_NOT_SUPPORTED ? ErrorKind::kUnsupported : ErrorKind::kInternal,
       "cudnn: ", what, " failed: ", cudnnGetErrorString(status), detail[0] ? ": " : "", detail);
}

void check(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  fail(ErrorKind::kInternal, "cublas: ", what, " failed: ", cublasGetStatusName(status));
}

DeviceBuffer::DeviceBuffer(size_t bytes, const std::string& what) : bytes_(bytes) {
  if (bytes == 0) return;
  const cudaError_t status = cudaMalloc(&ptr_, bytes);
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    ptr_ = nullptr;
    fail(ErrorKind::kOutOfMemory, "cuda: cannot allocate ", what, ": asked for ",
         (bytes + (1 << 20) - 1) >> 20, " MiB, the device has ", free_b >> 20, " MiB free of ",
         total_b >> 20, " MiB");
  }
  check(status, what.c_str());
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_) (void)cudaFree(ptr_);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& o) noexcept
    : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (ptr_) (void)cudaFree(ptr_);
    ptr_ = std::exchange(o.ptr_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

Context::Context(int dev, bool half_, bool graphs_, size_t workspace_bytes)
    : device(dev), half(half_), graphs(graphs_), workspace_limit(workspace_bytes) {
  cudaStream_t st = nullptr;
  {
    // Since CUDA 12 cudaSetDevice makes the device's primary context.
    const StartupScope phase("cuda_context");
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking), "cudaStreamCreate");
    stream.reset(st);
  }
  {
    const StartupScope phase("cudnn_create");
    cudnnHandle_t dn = nullptr;
    check(cudnnCreate(&dn), "cudnnCreate");
    cudnn.reset(dn);
    check(cudnnSetStream(dn, st), "cudnnSetStream");
  }
}

cublasHandle_t Context::cublas_handle() {
  if (cublas) return cublas.get();
  const StartupScope phase("cublas_create");
  check(cudaSetDevice(device), "cudaSetDevice");
  cublasHandle_t bl = nullptr;
  check(cublasCreate(&bl), "cublasCreate");
  cublas.reset(bl);
  check(cublasSetStream(bl, s()), "cublasSetStream");
  // A workspace of our own keeps cuBLAS from allocating while a forward is being captured.
  cublas_workspace = DeviceBuffer(4u << 20, "the cuBLAS workspace");
  check(cublasSetWorkspace(bl, cublas_workspace.get(), cublas_workspace.size()),
        "cublasSetWorkspace");
  return bl;
}

void* Context::upload(const void* host, size_t bytes) {
  const StartupScope phase("weight_upload");
  constexpr size_t kAlign = 256, kChunk = 8u << 20;
  const size_t need = (bytes + kAlign - 1) / kAlign * kAlign;
  if (chunks_.empty() || used_ + need > chunks_.back().size()) {
    chunks_.emplace_back(std::max(kChunk, need), "model weights");
    used_ = 0;
  }
  auto* dst = static_cast<std::byte*>(chunks_.back().get()) + used_;
  used_ += need;
  check(cudaMemcpy(dst, host, bytes, cudaMemcpyHostToDevice), "uploading weights");
  return dst;
}

void* Context::cudnn_workspace() {
  if (!workspace.get()) workspace = DeviceBuffer(workspace_limit, "the cuDNN workspace");
  return workspace.get();
}

CudaKernel::CudaKernel(std::shared_ptr<Context> ctx, std::string label)
    : label_(std::move(label)), ctx_(std::move(ctx)), forward_(ctx_->forward) {
  YS_CHECK(forward_, "cuda kernels are created after prepare()");
  index_ = forward_->kernels.size();
  forward_->kernels.push_back(this);
}

CudaKernel::~CudaKernel() {
  forward_->kernels[index_] = nullptr;
  forward_->drop_graphs();
}

namespace {

// Brackets one step's enqueueing for the observer, also when the enqueue throws.
class ObservedStep {
 public:
  ObservedStep(DeviceObserver* o, size_t step) : o_(o), step_(step) {
    if (o_) o_->on_enqueue_begin(step_);
  }
  ~ObservedStep() {
    if (o_) o_->on_enqueue_end(step_);
  }
  ObservedStep(const ObservedStep&) = delete;
  ObservedStep& operator=(const ObservedStep&) = delete;

 private:
  DeviceObserver* o_;
  size_t step_;
};

void record(const EventPtr& event, cudaStream_t s, bool capturing) {
  // Under capture a plain record only orders work inside the graph; the external flag makes a
  // record node that stamps the event on every replay.
  check(capturing ? cudaEventRecordWithFlags(event.get(), s, cudaEventRecordExternal)
                  : cudaEventRecord(event.get(), s),
        "cudaEventRecord (span timing)");
}

int64_t count_kernel_nodes(cudaGraph_t graph) {
  size_t n = 0;
  check(cudaGraphGetNodes(graph, nullptr, &n), "cudaGraphGetNodes");
  std::vector<cudaGraphNode_t> nodes(n);
  check(cudaGraphGetNodes(graph, nodes.data(), &n), "cudaGraphGetNodes");
  int64_t kernels = 0;
  for (size_t i = 0; i < n; ++i) {
    cudaGraphNodeType type{};
    check(cudaGraphNodeGetType(nodes[i], &type), "cudaGraphNodeGetType");
    if (type == cudaGraphNodeTypeKernel) {
      ++kernels;
    } else if (type == cudaGraphNodeTypeGraph) {
      cudaGraph_t child = nullptr;
      check(cudaGraphChildGraphNodeGetGraph(nodes[i], &child), "cudaGraphChildGraphNodeGetGraph");
      kernels += count_kernel_nodes(child);
    }
  }
  return kernels;
}

}  // namespace

void CudaKernel::enqueue_step(size_t step, bool timed, bool capturing) {
  Forward& f = *forward_;
  SpanTiming& t = ctx_->timing;
  const cudaStream_t s = ctx_->s();
  if (timed && t.span_at[step] >= 0 && t.records(static_cast<size_t>(t.span_at[step]))) {
    record(t.events[static_cast<size_t>(t.span_at[step])], s, capturing);
  }
  {
    ObservedStep observed(ctx_->observer, step);
    f.kernels[step]->enqueue();
  }
  if (timed && step + 1 == f.kernels.size() && t.records(t.spans()))
    record(t.events.back(), s, capturing);
}

bool CudaKernel::capture(bool timed) {
  Forward& f = *forward_;
  const cudaStream_t s = ctx_->s();
  check(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
  try {
    for (size_t k = 0; k < f.kernels.size(); ++k) enqueue_step(k, timed, true);
  } catch (...) {
    cudaGraph_t broken = nullptr;
    (void)cudaStreamEndCapture(s, &broken);
    GraphPtr discard(broken);
    throw;
  }
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(s, &graph);
  GraphPtr owned(graph);
  cudaGraphExec_t exec = nullptr;
  if (ended != cudaSuccess || cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  GraphExecPtr instantiated(exec);
  if (!timed) f.kernel_nodes = count_kernel_nodes(graph);
  const SpanTiming& t = ctx_->timing;
  (timed ? f.timed_exec[{t.last_first, t.last_end}] : f.exec) = std::move(instantiated);
  return true;
}

void CudaKernel::run() {
  Forward& f = *forward_;
  SpanTiming& t = ctx_->timing;
  if (index_ == 0) {
    // A device pool runs each device's forward on a thread of its own whose current device is
    // 0 until told: this context's stream and graph belong to ctx_->device.
    check(cudaSetDevice(ctx_->device), "cudaSetDevice");
    t.last_run_timed = t.enabled && t.fits(f) && t.first < std::min(t.last, t.spans());
    t.last_first = t.first;
    t.last_end = std::min(t.last, t.spans());
  }
  const bool timed = t.last_run_timed;
  if (!ctx_->graphs || f.capture_failed) {
    enqueue_step(index_, timed, false);
    return;
  }
  if (index_ != 0) return;  // the first op runs the whole forward
  // The first run goes eagerly, so library modules and lazily loaded kernels are in place
  // before anything is captured.
  if (f.runs++ == 0) {
    for (size_t k = 0; k < f.kernels.size(); ++k) enqueue_step(k, timed, false);
    return;
  }
  if (f.observer_generation != ctx_->observer_generation) {
    f.drop_graphs();
    f.observer_generation = ctx_->observer_generation;
  }
  if (f.timing_generation != t.generation) {
    f.timed_exec.clear();
    f.timing_generation = t.generation;
  }
  const GraphExecPtr& exec = timed ? f.timed_exec[{t.last_first, t.last_end}] : f.exec;
  if (!exec && !capture(timed)) {
    // Something in the forward cannot be captured: run eagerly from now on. The other steps of
    // this run follow through their own run() calls.
    f.capture_failed = true;
    enqueue_step(index_, timed, false);
    return;
  }
  check(cudaGraphLaunch(exec.get(), ctx_->s()), "cudaGraphLaunch");
}

Elem elem_of(DType t, const std::string& what) {
  if (t == DType::kFloat32) return Elem::kF32;
  if (t == DType::kFloat16) return Elem::kF16;
  fail(ErrorKind::kUnsupported, what, ": the CUDA backend computes in float32 or float16, not ",
       dtype_name(t));
}

}  // namespace ys::cuda
