// Runs a test graph on the CPU backend and on the reference evaluator and compares the outputs.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph_builder.h"

namespace ys::testing {

struct BackendRun {
  std::vector<Tensor> outputs;
  std::vector<Layout> layouts;       // per value, as the backend's prepare() left them
  std::vector<std::string> kernels;  // per step: implementation()
};

BackendRun run_cpu_backend(const Graph& g, const std::vector<Tensor>& inputs, int threads = 2);
std::vector<Tensor> run_reference(const Graph& g, const std::vector<Tensor>& inputs);
Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -2.f, float hi = 2.f);

// |a - b| <= tol * max(1, |b|) everywhere; reports the worst element.
::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double tol = 1e-4);

}  // namespace ys::testing
