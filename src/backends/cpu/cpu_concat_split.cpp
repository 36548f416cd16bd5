// Concat and Split as row copies in physical order: on an NHWC tensor a channel concat copies
// each pixel's channel run, on a plain one each image's planes.
#include "backends/cpu/cpu_copy.h"
#include "backends/cpu/cpu_ops.h"
#include "model/op_schema.h"

namespace ys::cpu {
namespace {

// Splits physical_shape(v) around `axis` into rows of the axis' extent times the inner size.
void outer_inner(const Value& v, int64_t logical_axis, int64_t* outer, int64_t* inner) {
  const Shape s = physical_shape(v);
  const int64_t a = physical_axis(v, logical_axis);
  *outer = 1;
  *inner = 1;
  for (int64_t i = 0; i < a; ++i) *outer *= s[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(a) + 1; i < s.size(); ++i) *inner *= s[i];
}

// `extents`: each part's length along the axis; an empty part (an omitted Split output) is skipped.
std::unique_ptr<Kernel> make_row_kernel(const KernelRequest& r, const Value& joined_value,
                                        const Tensor& joined, const std::vector<int64_t>& extents,
                                        const std::vector<Tensor>& parts, bool gather) {
  const int64_t axis = normalize_axis(r.node, attr_int(r.node, "axis", 0),
                                      static_cast<int64_t>(joined_value.shape.size()));
  const size_t es = dtype_size(joined_value.dtype);
  int64_t outer = 0, inner = 0;
  outer_inner(joined_value, axis, &outer, &inner);
  std::vector<RowCopier::Part> rows;
  size_t offset = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const size_t row = static_cast<size_t>(extents[i] * inner) * es;
    if (!parts[i].empty()) rows.push_back({static_cast<std::byte*>(parts[i].data()), row, offset});
    offset += row;
  }
  RowCopier copier(static_cast<std::byte*>(joined.data()), offset, outer, std::move(rows), gather,
                   r.context->threads);
  return make_lambda_kernel(gather ? "cpu:concat" : "cpu:split", [copier] { copier.run(); });
}

}  // namespace

LayoutRule concat_split_layout_rule(const Graph& g, const Node& n) {
  for (int v : n.inputs) {
    if (v >= 0 && g.values[static_cast<size_t>(v)].is_constant() && n.op == "Concat")
      return LayoutRule::kPlainOnly;
  }
  return LayoutRule::kUniform;
}

std::unique_ptr<Kernel> make_concat_kernel(const KernelRequest& r) {
  const Value& y = r.output_value(0);
  const auto axis = static_cast<size_t>(
      normalize_axis(r.node, attr_int(r.node, "axis", 0), static_cast<int64_t>(y.shape.size())));
  std::vector<int64_t> extents;
  for (const Tensor& t : r.inputs) extents.push_back(t.dim(axis));
  return make_row_kernel(r, y, r.outputs[0], extents, r.inputs, true);
}

std::unique_ptr<Kernel> make_split_kernel(const KernelRequest& r) {
  return make_row_kernel(r, r.input_value(0), r.inputs[0], split_sizes(r.graph, r.node), r.outputs,
                         false);
}

}  // namespace ys::cpu
