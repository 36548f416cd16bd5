#include "backends/cpu/cpu_backend.h"

#include <cstdlib>
#include <cstring>

#include "backends/cpu/cpu_reference_kernel.h"
#include "core/error.h"
#include "model/reference_eval.h"

#ifdef YS_HAVE_ONEDNN
#include "backends/cpu/cpu_registry.h"
#endif

namespace ys {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const CpuOptions& options)
#ifdef YS_HAVE_ONEDNN
      : context_(std::make_shared<cpu::CpuContext>(options.threads))
#endif
  {
    (void)options;
  }
  std::string name() const override {
    return "cpu";
  }
  DeviceKind device() const override {
    return DeviceKind::kCpu;
  }
  // Every op the reference evaluator computes runs here: oneDNN where it has a kernel, the
  // reference evaluator otherwise.
  bool supports(const Graph&, const Node& n) const override {
    return n.domain.empty() && has_reference_eval(n.op);
  }

#ifdef YS_HAVE_ONEDNN
  void prepare(Graph& graph) override {
    cpu::assign_layouts(graph);
  }

  std::unique_ptr<Kernel> create_kernel(const Graph& g, const Node& n,
                                        const std::vector<Tensor>& in,
                                        const std::vector<Tensor>& out) override {
    // Implementations size their blocking for the thread count current at creation.
    context_->apply_threads();
    return cpu::make_kernel({g, n, in, out, context_});
  }
#else
  std::unique_ptr<Kernel> create_kernel(const Graph& g, const Node& n,
                                        const std::vector<Tensor>& in,
                                        const std::vector<Tensor>& out) override {
    return std::make_unique<cpu::ReferenceKernel>(g, n, in, out);
  }
#endif

  void* allocate(size_t bytes) override {
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!p)
      fail(ErrorKind::kOutOfMemory, "cpu backend: cannot allocate an arena of ", bytes, " bytes");
    return p;
  }
  void deallocate(void* p) override {
    std::free(p);
  }
  void copy_to_device(void* dst, const void* src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }

 private:
#ifdef YS_HAVE_ONEDNN
  std::shared_ptr<cpu::CpuContext> context_;
#endif
};

}  // namespace

std::shared_ptr<Backend> make_cpu_backend(const CpuOptions& options) {
  return std::make_shared<CpuBackend>(options);
}

bool cpu_backend_has_onednn() {
#ifdef YS_HAVE_ONEDNN
  return true;
#else
  return false;
#endif
}

}  // namespace ys
