// The CUDA backend's one graph rewrite beyond formats: a bottleneck's shortcut Add joins the
// convolution before it, so that cuDNN adds it in the convolution's epilogue (cuda_backend.h).
#include <vector>

#include "backends/cuda/cuda_backend.h"

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
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t k = 0; k < g.nodes.size(); ++k)
    if (!removed[k]) kept.push_back(std::move(g.nodes[k]));
  g.nodes = std::move(kept);
  for (Value& v : g.values) v.producer = -1;
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (int o : g.nodes[k].outputs)
      if (o >= 0) g.values[static_cast<size_t>(o)].producer = static_cast<int>(k);
  return fused;
}

}  // namespace ys
