// The fallback kernel: runs a node on the reference evaluator (model/reference_eval.h), for ops
// the CPU backend has no fast kernel for and for every op in builds without oneDNN.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model/reference_eval.h"
#include "runtime/backend.h"

namespace ys::cpu {

class ReferenceKernel final : public Kernel {
 public:
  // `g` and `n` belong to the executor's graph, which outlives its kernels.
  ReferenceKernel(const Graph& g, const Node& n, std::vector<Tensor> in, std::vector<Tensor> out)
      : graph_(g), node_(n), in_(std::move(in)), out_(std::move(out)) {}
  void run() override { reference_eval(graph_, node_, in_, out_); }
  std::string implementation() const override { return "reference"; }

 private:
  const Graph& graph_;
  const Node& node_;
  std::vector<Tensor> in_, out_;
};

}  // namespace ys::cpu
