// The CUDA backend's graph rewrites beyond formats (cuda_backend.h): a bottleneck's shortcut Add
// joins the convolution before it, so that cuDNN adds it in the epilogue; and a Concat of all of
// a Split's outputs in order reads the Split's input instead, so those outputs need not be written.
#include <vector>

#include "backends/cuda/cuda_backend.h"
#include "model/op_schema.h"

namespace ys {

int cuda_fuse_residual_adds(Graph& g) {
  std::vector<int> uses(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (int v : n.inputs)
      if (v >= 0) ++uses[static_cast<size_t>(v)];
  for (int v : g.outputs) uses[static_cast<size_t>(v)] += 1000;  // a graph output stays visible

  std::vector<bool> removed(g.nodes.size(), false);
  int fused = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& add = g.nodes[k];
    if (add.op != "Add" || add.inputs.size() != 2 || add.inputs[0] < 0 || add.inputs[1] < 0)
      continue;
    const Value& out = g.values[static_cast<size_t>(add.outputs[0])];
    for (size_t j = 0; j < 2; ++j) {
      const int conv_out = add.inputs[j], other = add.inputs[1 - j];
      const Value& cv = g.values[static_cast<size_t>(conv_out)];
      const Value& ov = g.values[static_cast<size_t>(other)];
      const int p = cv.producer;
      if (p < 0 || removed[static_cast<size_t>(p)] || uses[static_cast<size_t>(conv_out)] != 1)
        continue;
      Node& conv = g.nodes[static_cast<size_t>(p)];
      // The shortcut must exist when the convolution runs, and match its output exactly.
      const bool ready = ov.producer < p && !ov.is_constant();
      const bool same = cv.shape == ov.shape && cv.shape == out.shape && cv.layout == ov.layout &&
                        cv.layout == out.layout && cv.dtype == ov.dtype && cv.dtype == out.dtype;
      if (conv.op != "Conv" || conv.inputs.size() > 3 || !ready || !same) continue;
      conv.inputs.resize(3, -1);
      conv.inputs.push_back(other);
      conv.outputs[0] = add.outputs[0];
      removed[k] = true;
      ++fused;
      break;
    }
  }
  g.erase_nodes(removed);
  return fused;
}

int cuda_concat_split_sources(Graph& g) {
  int replaced = 0;
  for (Node& concat : g.nodes) {
    if (concat.op != "Concat") continue;
    const Value& out = g.output_value(concat, 0);
    const int64_t rank = static_cast<int64_t>(out.shape.size());
    const int64_t axis = normalize_axis(concat, attr_int(concat, "axis", 0), rank);
    std::vector<int> inputs;
    for (size_t i = 0; i < concat.inputs.size();) {
      const int v = concat.inputs[i];
      const int p = v >= 0 ? g.values[static_cast<size_t>(v)].producer : -1;
      if (p >= 0) {
        const Node& split = g.nodes[static_cast<size_t>(p)];
        const size_t k = split.outputs.size();
        bool whole = split.op == "Split" && !split.inputs.empty() && split.inputs[0] >= 0 &&
                     i + k <= concat.inputs.size();
        for (size_t j = 0; whole && j < k; ++j) whole = concat.inputs[i + j] == split.outputs[j];
        if (whole) {
          const Value& x = g.input_value(split, 0);
          whole = static_cast<int64_t>(x.shape.size()) == rank && x.layout == out.layout &&
                  x.dtype == out.dtype &&
                  normalize_axis(split, attr_int(split, "axis", 0), rank) == axis;
        }
        if (whole) {
          inputs.push_back(split.inputs[0]);
          i += k;
          ++replaced;
          continue;
        }
      }
      inputs.push_back(v);
      ++i;
    }
    concat.inputs = std::move(inputs);
  }
  return replaced;
}

}  // namespace ys
