#include "backends/cuda/cuda_backend.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/cuda_ops.h"
#include "core/error.h"
#include "core/log.h"
#include "core/startup_timeline.h"
#include "model/graph_fingerprint.h"

namespace ys {
namespace {

using cuda::check;

// Span events, the DeviceObserver and the captured graph's kernel count, all kept in the
// backend's context: what the profiler reads through Backend::device_timer().
struct CudaTimer final : DeviceTimer {
  bool set_span_timing(const std::vector<size_t>& starts) override {
    cuda::SpanTiming& t = ctx->timing;
    const std::shared_ptr<cuda::Forward>& f = ctx->forward;
    if (!f) return false;
    const size_t steps = f->kernels.size();
    for (size_t i = 0; i < starts.size(); ++i) {
      if (starts[i] >= steps || (i > 0 && starts[i] <= starts[i - 1])) return false;
    }
    check(cudaSetDevice(ctx->device), "cudaSetDevice");
    std::vector<cuda::EventPtr> events;
    if (!starts.empty()) {
      for (size_t i = 0; i <= starts.size(); ++i) {
        cudaEvent_t e = nullptr;
        check(cudaEventCreateWithFlags(&e, cudaEventDefault), "cudaEventCreate (span timing)");
        events.emplace_back(e);
      }
    }
    std::vector<int> span_at(starts.empty() ? 0 : steps, -1);
    for (size_t i = 0; i < starts.size(); ++i) span_at[starts[i]] = static_cast<int>(i);
    // Graphs captured with the old events refer to them: they go before the events do.
    f->timed_exec.clear();
    ++t.generation;
    t.events = std::move(events);
    t.span_at = std::move(span_at);
    t.last_run_timed = false;
    return true;
  }
  void enable_span_timing(bool on, size_t first, size_t last) override {
    ctx->timing.enabled = on;
    ctx->timing.first = first;
    ctx->timing.last = last;
  }
  std::vector<float> last_span_ms() const override {
    const cuda::SpanTiming& t = ctx->timing;
    if (!t.last_run_timed) return {};
    // The caller has synchronised; waiting on the range's last event makes sure of it.
    if (cudaEventSynchronize(t.events[t.last_end].get()) != cudaSuccess) {
      (void)cudaGetLastError();
      return {};
    }
    std::vector<float> ms(t.spans(), std::numeric_limits<float>::quiet_NaN());
    for (size_t i = t.last_first; i < t.last_end; ++i) {
      if (cudaEventElapsedTime(&ms[i], t.events[i].get(), t.events[i + 1].get()) != cudaSuccess) {
        (void)cudaGetLastError();
        return {};
      }
    }
    return ms;
  }
  void set_device_observer(DeviceObserver* observer) override {
    ctx->observer = observer;
    ++ctx->observer_generation;
  }
  int64_t kernels_per_run() const override {
    const std::shared_ptr<cuda::Forward>& f = ctx->forward;
    if (!ctx->graphs || !f || f->capture_failed) return -1;
    return f->kernel_nodes;
  }
  int device_index() const override { return ctx->device; }
  // cuDNN's workspace exists once a convolution was created, cuBLAS's once a MatMul was.
  int64_t workspace_bytes() const override {
    return static_cast<int64_t>(ctx->workspace.size() + ctx->cublas_workspace.size());
  }

  cuda::Context* ctx = nullptr;  // the owning CudaBackend's
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const CudaOptions& o) {
    std::string why;
    int count = 0;
    {
      // The runtime's first call loads the driver and initialises it (cuInit).
      const StartupScope phase("cuda_init");
      if (!cuda_device_available(&why))
        fail(ErrorKind::kUnsupported, "device=", o.device, ": ", why);
      check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    }
    if (o.device < 0 || o.device >= count) {
      fail(ErrorKind::kInvalidArgument, "device=", o.device, ": this machine has ", count,
           " CUDA device", count == 1 ? "" : "s");
    }
    ctx_ = std::make_shared<cuda::Context>(o.device, o.half, o.cuda_graph, o.workspace_mib << 20);
    ctx_->graph_fusion = o.graph_fusion;
    ctx_->fusion_candidates = std::max(1, o.fusion_candidates);
    timer_.ctx = ctx_.get();
  }

  std::string name() const override { return ctx_->half ? "cuda:fp16" : "cuda"; }
  DeviceKind device() const override { return DeviceKind::kCuda; }
  bool supports(const Graph&, const Node& n) const override { return cuda::has_kernel(n); }

  void prepare(Graph& graph) override {
    open_startup_cache(graph);
    cuda_assign_formats(graph, ctx_->half);
    cuda_concat_split_sources(graph);
    if (ctx_->half && ctx_->graph_fusion) cuda_fuse_residual_adds(graph);
    // A new plan: the kernels created from here on form one capturable forward.
    ctx_->forward = std::make_shared<cuda::Forward>();
  }

  void finish_kernels() override {
    bool warn = false;
    ctx_->cache_note = cuda::finish_conv_cache(ctx_->conv_cache, &warn);
    if (ctx_->cache_note.empty()) return;
    if (warn) {
      log_warn(ctx_->cache_note);
    } else {
      log_info(ctx_->cache_note);
    }
  }

  std::unique_ptr<Kernel> create_kernel(const Graph& g, const Node& n,
                                        const std::vector<Tensor>& in,
                                        const std::vector<Tensor>& out) override {
    check(cudaSetDevice(ctx_->device), "cudaSetDevice");
    if (!n.domain.empty()) {
      fail(ErrorKind::kUnsupported, describe(n), ": the CUDA backend has no kernel for domain '",
           n.domain, "'");
    }
    std::unique_ptr<Kernel> k = cuda::make_kernel({g, n, in, out, ctx_});
    if (!k) fail(ErrorKind::kUnsupported, describe(n), ": the CUDA backend has no kernel for it");
    return k;
  }

  void* allocate(size_t bytes) override {
    check(cudaSetDevice(ctx_->device), "cudaSetDevice");
    void* p = nullptr;
    if (bytes == 0) return nullptr;
    const cudaError_t status = cudaMalloc(&p, bytes);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      (void)cudaMemGetInfo(&free_b, &total_b);
      fail(ErrorKind::kOutOfMemory, "cuda: cannot allocate the activation arena: asked for ",
           (bytes + (1 << 20) - 1) >> 20, " MiB, device ", ctx_->device, " has ", free_b >> 20,
           " MiB free of ", total_b >> 20,
           " MiB (a smaller batch or input size shrinks the arena in proportion)");
    }
    check(status, "cudaMalloc (arena)");
    return p;
  }
  void deallocate(void* p) override {
    if (p) (void)cudaFree(p);
  }
  void copy_to_device(void* dst, const void* src, size_t bytes) override {
    check(cudaSetDevice(ctx_->device), "cudaSetDevice");  // a pool's worker thread: see run()
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx_->s()), "copy to device");
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    check(cudaSetDevice(ctx_->device), "cudaSetDevice");
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx_->s()), "copy to host");
    check(cudaStreamSynchronize(ctx_->s()), "copy to host");
  }
  void synchronize() override { check(cudaStreamSynchronize(ctx_->s()), "synchronize"); }

  DeviceTimer* device_timer() override { return &timer_; }

  const std::shared_ptr<cuda::Context>& context() const { return ctx_; }

 private:
  // Keyed by the graph as the caller gave it (before this backend's rewrites, which are a function
  // of it and of the settings in the key) and by everything that changes what a convolution picks.
  void open_startup_cache(const Graph& graph) {
    cuda::Context& c = *ctx_;
    c.counters = {};
    c.cache_note.clear();
    const std::string settings =
        cat("graph_fusion=", c.graph_fusion ? 1 : 0, " fusion_candidates=", c.fusion_candidates,
            " cuda_graph=", c.graphs ? 1 : 0, " workspace_mib=", c.workspace_limit >> 20);
    const Value* first =
        graph.inputs.empty() ? nullptr : &graph.values[static_cast<size_t>(graph.inputs.front())];
    const int batch = first && !first->shape.empty() ? static_cast<int>(first->shape[0]) : 1;
    std::string why, model_sha256;
    {
      const StartupScope phase("graph_fingerprint");
      model_sha256 = graph_sha256(graph);
    }
    const StartupScope phase("cache_read");
    std::optional<StartupCacheKey> key = cuda::conv_cache_key(
        c.device, model_sha256, graph_input_shapes(graph), batch, c.half, settings, &why);
    c.conv_cache = key ? cuda::open_conv_cache(*key) : cuda::disabled_conv_cache(why);
  }

  std::shared_ptr<cuda::Context> ctx_;
  CudaTimer timer_;
};

}  // namespace

std::shared_ptr<Backend> make_cuda_backend(const CudaOptions& options) {
  return std::make_shared<CudaBackend>(options);
}

std::shared_ptr<cuda::Context> cuda_context_of(Backend& backend) {
  auto* cuda = dynamic_cast<CudaBackend*>(&backend);
  return cuda ? cuda->context() : nullptr;
}

bool cuda_device_available(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    (void)cudaGetLastError();
    if (why) {
      *why = status != cudaSuccess ? cat("no usable CUDA device (", cudaGetErrorString(status), ")")
                                   : std::string("no CUDA device");
    }
    return false;
  }
  return true;
}

std::string cuda_device_description(int device) {
  if (!cuda_device_available()) return {};
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, device) != cudaSuccess) return {};
  int runtime = 0;
  (void)cudaRuntimeGetVersion(&runtime);
  const size_t dnn = cudnnGetVersion();
  return cat(p.name, " (sm_", p.major, p.minor, ", ", p.totalGlobalMem >> 30, " GiB), cuDNN ",
             dnn / 10000, ".", (dnn / 100) % 100, ".", dnn % 100, ", CUDA runtime ", runtime / 1000,
             ".", (runtime % 1000) / 10);
}

}  // namespace ys
