#include "model/fusion.h"

#include <vector>

namespace ys {

int fuse_conv_activations(Graph& g) {
  std::vector<int> uses(g.values.size(), 0);
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    for (int v : g.nodes[k].inputs) {
      if (v < 0) continue;
      ++uses[static_cast<size_t>(v)];
    }
  }
  for (int v : g.outputs) uses[static_cast<size_t>(v)] += 1000;  // a graph output must stay visible

  // consumers[v]: the nodes reading v, for the 1- and 2-consumer patterns below.
  std::vector<std::vector<int>> consumers(g.values.size());
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    for (int v : g.nodes[k].inputs) {
      if (v >= 0) consumers[static_cast<size_t>(v)].push_back(static_cast<int>(k));
    }
  }

  std::vector<bool> removed(g.nodes.size(), false);
  int fused = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    Node& conv = g.nodes[k];
    if (conv.op != "Conv" || conv.activation != Activation::kNone) continue;
    int x = conv.outputs[0];
    const auto& cx = consumers[static_cast<size_t>(x)];
    int sig_k = -1;
    for (int c : cx) {
      if (g.nodes[static_cast<size_t>(c)].op == "Sigmoid") sig_k = c;
    }
    if (sig_k < 0) continue;
    Node& sig = g.nodes[static_cast<size_t>(sig_k)];
    int s = sig.outputs[0];
    if (uses[static_cast<size_t>(x)] == 1) {  // Conv -> Sigmoid
      conv.activation = Activation::kSigmoid;
      conv.outputs[0] = s;
      removed[static_cast<size_t>(sig_k)] = true;
      ++fused;
      continue;
    }
    if (uses[static_cast<size_t>(x)] != 2 || uses[static_cast<size_t>(s)] != 1) continue;
    int mul_k = consumers[static_cast<size_t>(s)][0];
    Node& mul = g.nodes[static_cast<size_t>(mul_k)];
    bool is_silu =
        mul.op == "Mul" && mul.inputs.size() == 2 &&
        ((mul.inputs[0] == x && mul.inputs[1] == s) || (mul.inputs[0] == s && mul.inputs[1] == x));
    if (!is_silu) continue;
    conv.activation = Activation::kSiLU;
    conv.outputs[0] = mul.outputs[0];
    removed[static_cast<size_t>(sig_k)] = true;
    removed[static_cast<size_t>(mul_k)] = true;
    ++fused;
  }
  g.erase_nodes(removed);
  return fused;
}

}  // namespace ys
