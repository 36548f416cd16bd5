#include "runtime/memory_forecast.h"

#include <gtest/gtest.h>

#include "model/builtin_models.h"
#include "model/prepare.h"
#include "runtime/memory_planner.h"

namespace ys {
namespace {

Graph yolov8n(int64_t imgsz, int64_t batch) {
  Graph g = build_builtin_model("yolov8n", imgsz, batch);
  prepare_graph(g);
  return g;
}

const LayerOutputSize* find_layer(const MemoryForecast& f, const std::string& layer) {
  for (const LayerOutputSize& l : f.largest)
    if (l.layer == layer) return &l;
  return nullptr;
}

TEST(MemoryForecast, AgreesWithThePlannerAndCountsInputAndWeights) {
  const Graph g = yolov8n(320, 1);
  const MemoryForecast f = forecast_memory(g);
  const MemoryPlan plan = plan_memory(g);
  EXPECT_EQ(f.arena_bytes, plan.arena_bytes);
  EXPECT_EQ(f.naive_bytes, plan.naive_bytes);
  EXPECT_EQ(f.input_shape, (Shape{1, 3, 320, 320}));
  EXPECT_EQ(f.input_bytes, 3u * 320 * 320 * 4);
  // YOLOv8n's 3,151,904 learned parameters in float32, plus the anchor grid and a few others.
  EXPECT_GE(f.constant_bytes, 3151904u * 4);
  EXPECT_LT(f.constant_bytes, 3151904u * 4 * 11 / 10);
  EXPECT_GT(f.arena_bytes, f.input_bytes);
  EXPECT_LT(f.arena_bytes, f.naive_bytes);
}

// The Upsample #10 output of YOLOv8n is [batch, 256, imgsz/16, imgsz/16] float32: the forecast
// names it under the profile's layer name and sizes it for the batch and input asked for.
TEST(MemoryForecast, SizesALayerOutputAtAnotherImgszAndBatch) {
  const MemoryForecast small = forecast_memory(yolov8n(640, 1), 100);
  const MemoryForecast large = forecast_memory(yolov8n(1280, 2), 100);
  const LayerOutputSize* up_small = find_layer(small, "Upsample #10");
  const LayerOutputSize* up_large = find_layer(large, "Upsample #10");
  ASSERT_NE(up_small, nullptr);
  ASSERT_NE(up_large, nullptr);
  EXPECT_EQ(up_small->shape, (Shape{1, 256, 40, 40}));
  EXPECT_EQ(up_large->shape, (Shape{2, 256, 80, 80}));
  EXPECT_EQ(up_large->bytes, 2u * 256 * 80 * 80 * 4);
  // Activations scale with batch x pixels (8x here); the plan may place tensors differently.
  const double ratio =
      static_cast<double>(large.arena_bytes) / static_cast<double>(small.arena_bytes);
  EXPECT_GT(ratio, 7.0);
  EXPECT_LT(ratio, 9.0);
  // The weights stay; only the head's anchor constants grow, by a fixed number of floats per
  // anchor (8400 anchors at 640, four times as many at 1280).
  const size_t more_anchors = 3 * (80 * 80 + 40 * 40 + 20 * 20);
  ASSERT_GT(large.constant_bytes, small.constant_bytes);
  EXPECT_EQ((large.constant_bytes - small.constant_bytes) % (more_anchors * 4), 0u);
  EXPECT_LE(large.constant_bytes - small.constant_bytes, more_anchors * 4 * 8);
}

TEST(MemoryForecast, LargestIsSortedCappedAndOneEntryPerLayer) {
  const MemoryForecast f = forecast_memory(yolov8n(640, 1), 4);
  ASSERT_EQ(f.largest.size(), 4u);
  for (size_t i = 1; i < f.largest.size(); ++i) {
    EXPECT_GE(f.largest[i - 1].bytes, f.largest[i].bytes);
    for (size_t j = 0; j < i; ++j) EXPECT_NE(f.largest[i].layer, f.largest[j].layer);
  }
  // The first layers run at full resolution: Conv #0 is [1, 16, 320, 320], smaller than what
  // C2f #2 concatenates at 160x160 but among the largest.
  EXPECT_GE(f.largest[0].bytes, 16u * 320 * 320 * 4);
}

TEST(MemoryForecast, ADescriptionNamesTheSizeAndTheLayerInBinaryUnits) {
  const std::string text = describe_forecast(forecast_memory(yolov8n(1280, 2), 20), "  ");
  EXPECT_NE(text.find("at 1280x1280, batch 2: the arena's peak is "), std::string::npos) << text;
  EXPECT_NE(text.find("the Upsample #10 output alone is 12.5 MiB [2, 256, 80, 80]"),
            std::string::npos)
      << text;
}

TEST(MemoryForecast, FormatsBytesInBinaryUnits) {
  EXPECT_EQ(format_binary_bytes(12), "12 B");
  EXPECT_EQ(format_binary_bytes(4096), "4.0 KiB");
  EXPECT_EQ(format_binary_bytes(13107200), "12.5 MiB");
  EXPECT_EQ(format_binary_bytes(size_t{3} << 30), "3.00 GiB");
}

// A graph built in code (no YOLO modules) names its layers by node.
TEST(MemoryForecast, NodesWithoutAModuleAreNamedByNode) {
  Graph g;
  g.opset = 17;
  Value x;
  x.name = "x";
  x.shape = {1, 4, 8, 8};
  Value y = x;
  y.name = "y";
  const int xi = g.add_value(x), yi = g.add_value(y);
  g.inputs = {xi};
  g.outputs = {yi};
  Node n;
  n.name = "relu0";
  n.op = "Relu";
  n.inputs = {xi};
  n.outputs = {yi};
  g.nodes.push_back(n);
  infer_and_fold(g);
  const MemoryForecast f = forecast_memory(g);
  ASSERT_EQ(f.largest.size(), 1u);
  EXPECT_EQ(f.largest[0].layer, describe(g.nodes[0]));
  EXPECT_EQ(f.largest[0].bytes, 4u * 8 * 8 * 4);
  EXPECT_EQ(f.constant_bytes, 0u);
}

}  // namespace
}  // namespace ys
