#include "backends/cpu/cpu_registry.h"

#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/cpu_reference_kernel.h"
#include "core/error.h"

namespace ys::cpu {
namespace {

LayoutRule plain_only(const Graph&, const Node&) {
  return LayoutRule::kPlainOnly;
}

struct OpEntry {
  const char* op;
  LayoutRuleFn rule;
  KernelFactory make;
};

// Log has no row: oneDNN 2.6's eltwise_log is off by ~1e-6 near 1, beyond ONNX's node-test
// tolerance (test_log_example), so it runs on the reference evaluator.
const OpEntry kOps[] = {
    {"Conv", conv_layout_rule, make_conv_kernel},
    {"MaxPool", pool_layout_rule, make_pool_kernel},
    {"AveragePool", pool_layout_rule, make_pool_kernel},
    {"Sigmoid", eltwise_layout_rule, make_eltwise_kernel},
    {"Relu", eltwise_layout_rule, make_eltwise_kernel},
    {"LeakyRelu", eltwise_layout_rule, make_eltwise_kernel},
    {"Tanh", eltwise_layout_rule, make_eltwise_kernel},
    {"Exp", eltwise_layout_rule, make_eltwise_kernel},
    {"Sqrt", eltwise_layout_rule, make_eltwise_kernel},
    {"Abs", eltwise_layout_rule, make_eltwise_kernel},
    {"Neg", eltwise_layout_rule, make_eltwise_kernel},
    {"HardSwish", eltwise_layout_rule, make_eltwise_kernel},
    {"Clip", eltwise_layout_rule, make_eltwise_kernel},
    {"Add", binary_layout_rule, make_binary_kernel},
    {"Sub", binary_layout_rule, make_binary_kernel},
    {"Mul", binary_layout_rule, make_binary_kernel},
    {"Div", binary_layout_rule, make_binary_kernel},
    {"Max", binary_layout_rule, make_binary_kernel},
    {"Min", binary_layout_rule, make_binary_kernel},
    {"Concat", concat_split_layout_rule, make_concat_kernel},
    {"Split", concat_split_layout_rule, make_split_kernel},
    {"Softmax", plain_only, make_softmax_kernel},
    {"MatMul", plain_only, make_matmul_kernel},
    {"Resize", resize_layout_rule, make_resize_kernel},
    {"Reshape", copy_layout_rule, make_copy_kernel},
    {"Flatten", copy_layout_rule, make_copy_kernel},
    {"Squeeze", copy_layout_rule, make_copy_kernel},
    {"Unsqueeze", copy_layout_rule, make_copy_kernel},
    {"Identity", copy_layout_rule, make_copy_kernel},
    {"Transpose", plain_only, make_transpose_kernel},
    {"Slice", plain_only, make_slice_kernel},
};

const OpEntry* find_entry(const std::string& op) {
  for (const OpEntry& e : kOps) {
    if (op == e.op) return &e;
  }
  return nullptr;
}

// The node's non-constant 4-D float inputs and outputs: the values a layout applies to.
std::vector<int> layout_values(const Graph& g, const Node& n) {
  std::vector<int> vs;
  for (const auto* list : {&n.inputs, &n.outputs}) {
    for (int v : *list) {
      if (v >= 0 && is_4d_activation(g.values[static_cast<size_t>(v)])) vs.push_back(v);
    }
  }
  return vs;
}

}  // namespace

LayoutRule layout_rule(const Graph& g, const Node& n) {
  const OpEntry* e = find_entry(n.op);
  return e ? e->rule(g, n) : LayoutRule::kPlainOnly;
}

std::unique_ptr<Kernel> make_kernel(const KernelRequest& r) {
  if (const OpEntry* e = find_entry(r.node.op)) {
    if (auto k = e->make(r)) return k;
  }
  for (int v : layout_values(r.graph, r.node)) {
    YS_CHECK(r.graph.values[static_cast<size_t>(v)].layout == Layout::kPlain, describe(r.node),
             " has an NHWC activation but no kernel for it");
  }
  return std::make_unique<ReferenceKernel>(r.graph, r.node, r.inputs, r.outputs);
}

void assign_layouts(Graph& g) {
  std::vector<bool> is_output(g.values.size(), false);
  for (int v : g.outputs) is_output[static_cast<size_t>(v)] = true;
  for (size_t i = 0; i < g.values.size(); ++i) {
    Value& v = g.values[i];
    v.layout =
        is_4d_activation(v) && v.producer >= 0 && !is_output[i] ? Layout::kNHWC : Layout::kPlain;
  }
  // Constraints only ever turn values plain, so this settles after a few sweeps.
  for (bool changed = true; changed;) {
    changed = false;
    for (const Node& n : g.nodes) {
      const LayoutRule rule = layout_rule(g, n);
      if (rule == LayoutRule::kFree) continue;
      const std::vector<int> vs = layout_values(g, n);
      bool any_plain = rule == LayoutRule::kPlainOnly;
      for (int v : vs)
        any_plain = any_plain || g.values[static_cast<size_t>(v)].layout == Layout::kPlain;
      if (!any_plain) continue;
      for (int v : vs) {
        Value& val = g.values[static_cast<size_t>(v)];
        if (val.layout != Layout::kPlain) {
          val.layout = Layout::kPlain;
          changed = true;
        }
      }
    }
  }
}

}  // namespace ys::cpu
