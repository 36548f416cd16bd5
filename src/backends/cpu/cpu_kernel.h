// Building blocks of the oneDNN CPU kernels: what a kernel factory is given, how an op tells the
// layout pass which physical layouts it can take, memory descriptors for graph values in their
// chosen layout, and PrimitiveKernel, which runs a short chain of oneDNN primitives bound to
// their memory at creation so that run() allocates nothing.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_context.h"
#include "model/graph.h"
#include "runtime/backend.h"

namespace ys::cpu {

// How an op constrains the layouts of its 4-D activations (inputs and outputs).
enum class LayoutRule {
  kPlainOnly,  // reads or writes NCHW order: everything stays plain
  kUniform,    // any layout, as long as all its 4-D activations share it
  kFree,       // each 4-D activation may have its own layout
};

struct KernelRequest {
  const Graph& graph;
  const Node& node;
  const std::vector<Tensor>& inputs;
  const std::vector<Tensor>& outputs;
  const std::shared_ptr<CpuContext>& context;

  const Value& input_value(size_t i) const { return graph.input_value(node, i); }
  const Value& output_value(size_t i) const { return graph.output_value(node, i); }
};

// A factory returns nullptr for a form of its op it does not handle; the reference evaluator
// runs it then, which is only allowed while all its activations are plain.
using KernelFactory = std::unique_ptr<Kernel> (*)(const KernelRequest&);
using LayoutRuleFn = LayoutRule (*)(const Graph&, const Node&);

// The shape in memory order: [N, H, W, C] for an NHWC value, the logical shape otherwise.
Shape physical_shape(const Value& v);
// Where logical axis `axis` (already normalised) sits in physical_shape().
int64_t physical_axis(const Value& v, int64_t axis);

bool is_float_activation(const Value& v);
bool is_4d_activation(const Value& v);

// A dense row-major descriptor of `shape` (a scalar becomes [1]).
dnnl::memory::desc plain_md(const Shape& shape);
// A descriptor of a value in its physical layout, with the logical NCHW dimensions oneDNN expects.
dnnl::memory::desc value_md(const Value& v);
dnnl::memory::dims to_dims(const std::vector<int64_t>& v);

class PrimitiveKernel final : public Kernel {
 public:
  explicit PrimitiveKernel(std::shared_ptr<CpuContext> context) : context_(std::move(context)) {}

  // Memory over caller-owned bytes (arena views, constants).
  dnnl::memory bind(const dnnl::memory::desc& md, const Tensor& t);
  // Memory the kernel owns (reordered weights, layout conversion buffers).
  dnnl::memory own(const dnnl::memory::desc& md);
  // Appends a primitive; `pd` must have been created with scratchpad_mode::user.
  void add(const dnnl::primitive_desc_base& pd, const dnnl::primitive& p,
           std::vector<std::pair<int, dnnl::memory>> args);

  void run() override;
  std::string implementation() const override { return implementation_; }

 private:
  struct Step {
    dnnl::primitive primitive;
    std::vector<dnnl_exec_arg_t> args;
    dnnl::memory scratch;  // empty when the primitive needs none
    void* bound = nullptr;
  };
  std::shared_ptr<CpuContext> context_;
  std::vector<dnnl::memory> memories_;  // keeps the handles in Step::args alive
  std::vector<Step> steps_;
  std::string implementation_;
};

// Attributes every primitive here is created with: a user scratchpad, plus `post_ops`.
dnnl::primitive_attr primitive_attr(const dnnl::post_ops& post_ops = dnnl::post_ops());

// "onednn:jit:avx2"
std::string implementation_label(const dnnl::primitive_desc_base& pd);

// A kernel of our own (data movement, resize): a callable that captured everything at creation.
template <typename Fn>
class LambdaKernel final : public Kernel {
 public:
  LambdaKernel(std::string label, Fn fn) : label_(std::move(label)), fn_(std::move(fn)) {}
  void run() override { fn_(); }
  std::string implementation() const override { return label_; }

 private:
  std::string label_;
  Fn fn_;
};

template <typename Fn>
std::unique_ptr<Kernel> make_lambda_kernel(std::string label, Fn fn) {
  return std::make_unique<LambdaKernel<Fn>>(std::move(label), std::move(fn));
}

}  // namespace ys::cpu
