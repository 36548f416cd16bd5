#include "model/graph_fingerprint.h"

#include <gtest/gtest.h>

namespace ys {
namespace {

Value value(const std::string& name, Shape shape, Tensor data = {}) {
  Value v;
  v.name = name;
  v.shape = std::move(shape);
  v.data = std::move(data);
  return v;
}

// x [1,3,8,8] -> Conv(w, b) -> y, with a constant weight and bias.
Graph small_conv() {
  Graph g;
  const int x = g.add_value(value("images", {1, 3, 8, 8}));
  Tensor w(DType::kFloat32, {4, 3, 3, 3});
  for (int64_t i = 0; i < w.numel(); ++i) w.ptr<float>()[i] = 0.01f * static_cast<float>(i);
  const int wv = g.add_value(value("w", {4, 3, 3, 3}, w));
  const int bv = g.add_value(value("b", {4}, Tensor(DType::kFloat32, {4})));
  const int y = g.add_value(value("y", {1, 4, 8, 8}));
  Node n;
  n.name = "/model.0/conv/Conv";
  n.op = "Conv";
  n.inputs = {x, wv, bv};
  n.outputs = {y};
  n.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  g.nodes.push_back(n);
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

TEST(GraphFingerprint, SameGraphSameHash) {
  EXPECT_EQ(graph_sha256(small_conv()), graph_sha256(small_conv()));
  EXPECT_EQ(graph_sha256(small_conv()).size(), 64u);
}

TEST(GraphFingerprint, EveryChangeThatReachesAKernelChangesIt) {
  const std::string base = graph_sha256(small_conv());
  Graph weight = small_conv();
  weight.values[1].data = Tensor(DType::kFloat32, {4, 3, 3, 3});  // zeros, not the ramp
  EXPECT_NE(graph_sha256(weight), base);
  Graph attr = small_conv();
  attr.nodes[0].attrs["strides"] = std::vector<int64_t>{2, 2};
  EXPECT_NE(graph_sha256(attr), base);
  Graph act = small_conv();
  act.nodes[0].activation = Activation::kSiLU;
  EXPECT_NE(graph_sha256(act), base);
  Graph name = small_conv();
  name.nodes[0].name = "/model.1/conv/Conv";
  EXPECT_NE(graph_sha256(name), base);
  Graph batch = small_conv();
  batch.values[0].shape[0] = 32;
  EXPECT_NE(graph_sha256(batch), base);
  Graph layout = small_conv();
  layout.values[3].layout = Layout::kNHWC;
  EXPECT_NE(graph_sha256(layout), base);
}

TEST(GraphFingerprint, AnnotationsDoNotChangeIt) {
  Graph g = small_conv();
  g.nodes[0].stage = Stage::kBackbone;
  g.nodes[0].module = 0;
  g.nodes[0].module_type = "Conv";
  EXPECT_EQ(graph_sha256(g), graph_sha256(small_conv()));
}

TEST(GraphFingerprint, InputShapes) {
  EXPECT_EQ(graph_input_shapes(small_conv()), "images:1x3x8x8");
  Graph two = small_conv();
  two.values.push_back(value("scale", {2}));
  two.inputs.push_back(static_cast<int>(two.values.size()) - 1);
  EXPECT_EQ(graph_input_shapes(two), "images:1x3x8x8,scale:2");
}

}  // namespace
}  // namespace ys
