// ONNX export: a graph written and loaded back is the same graph (nodes, attributes, constants
// bit for bit, metadata), prepared graphs export as valid ONNX with their fused activations
// expanded, the reloaded model computes exactly what the in-memory one does, and write errors
// name the path.
#include "model/onnx_export.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <type_traits>
#include <variant>

#include <unistd.h>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"
#include "model/builtin_models.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"
#include "runtime/executor.h"
#include "test_data.h"

namespace ys {
namespace {

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

bool same_attr(const Attribute& a, const Attribute& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Tensor>)
          return same_bytes(x, std::get<T>(b));
        else
          return x == std::get<T>(b);
      },
      a);
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / cat("ys_export_", ::getpid(), "_", name))
      .string();
}

// Same nodes (op, name, attributes, activation), same input and output names, same constants;
// same shapes once both are prepared (the loader does not read declared output shapes).
void expect_same_graph(const Graph& a, const Graph& b, bool prepared = true) {
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t k = 0; k < a.nodes.size(); ++k) {
    const Node& x = a.nodes[k];
    const Node& y = b.nodes[k];
    SCOPED_TRACE(describe(x));
    ASSERT_EQ(x.op, y.op);
    ASSERT_EQ(x.name, y.name);
    EXPECT_EQ(x.activation, y.activation);
    ASSERT_EQ(x.inputs.size(), y.inputs.size());
    for (size_t i = 0; i < x.inputs.size(); ++i) {
      ASSERT_EQ(x.inputs[i] < 0, y.inputs[i] < 0);
      if (x.inputs[i] < 0) continue;
      const Value& vx = a.input_value(x, i);
      const Value& vy = b.input_value(y, i);
      EXPECT_EQ(vx.name, vy.name);
      ASSERT_EQ(vx.is_constant(), vy.is_constant()) << vx.name;
      if (vx.is_constant()) {
        EXPECT_TRUE(same_bytes(vx.data, vy.data)) << vx.name;
      }
    }
    ASSERT_EQ(x.outputs.size(), y.outputs.size());
    for (size_t i = 0; i < x.outputs.size(); ++i) {
      EXPECT_EQ(a.output_value(x, i).name, b.output_value(y, i).name);
      if (prepared) {
        EXPECT_EQ(a.output_value(x, i).shape, b.output_value(y, i).shape);
      }
    }
    ASSERT_EQ(x.attrs.size(), y.attrs.size());
    for (const auto& [key, attr] : x.attrs) {
      ASSERT_TRUE(has_attr(y, key)) << key;
      EXPECT_TRUE(same_attr(attr, y.attrs.at(key))) << key;
    }
  }
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    EXPECT_EQ(a.values[static_cast<size_t>(a.inputs[i])].name,
              b.values[static_cast<size_t>(b.inputs[i])].name);
    EXPECT_EQ(a.values[static_cast<size_t>(a.inputs[i])].shape,
              b.values[static_cast<size_t>(b.inputs[i])].shape);
  }
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    EXPECT_EQ(a.values[static_cast<size_t>(a.outputs[i])].name,
              b.values[static_cast<size_t>(b.outputs[i])].name);
  }
}

TEST(OnnxExport, BuiltinModelRoundTripsExactly) {
  for (const char* name : {"yolov8n.yaml", "yolo11n.yaml"}) {
    SCOPED_TRACE(name);
    Graph g = build_builtin_model(name, 320);
    std::string path = temp_path("roundtrip.onnx");
    export_onnx(g, path);
    Graph back = load_onnx_file(path);
    std::filesystem::remove(path);
    EXPECT_EQ(back.opset, 17);
    EXPECT_EQ(back.name, g.name);
    EXPECT_EQ(back.metadata, g.metadata);
    expect_same_graph(g, back, false);
    prepare_graph(g);
    prepare_graph(back);
    expect_same_graph(g, back);
    EXPECT_EQ(back.family, g.family);
  }
}

TEST(OnnxExport, PreparedGraphExpandsFusedActivations) {
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  prepare_graph(g);
  size_t fused = 0, added = 0;
  for (const Node& n : g.nodes) {
    fused += n.activation != Activation::kNone;
    added += n.activation == Activation::kSiLU ? 2 : n.activation == Activation::kSigmoid ? 1 : 0;
  }
  ASSERT_GT(fused, 50u);
  Graph back = load_onnx_bytes(export_onnx_bytes(g), "exported prepared graph");
  for (const Node& n : back.nodes) EXPECT_EQ(n.activation, Activation::kNone);
  EXPECT_EQ(back.nodes.size(), g.nodes.size() + added);
  // The expansion uses the names the activations had before fusion.
  EXPECT_GE(back.find_value("/model.0/conv/Conv_output_0"), 0);
  EXPECT_GE(back.find_value("/model.0/act/Sigmoid_output_0"), 0);
  bool has_mul = false;
  for (const Node& n : back.nodes)
    has_mul = has_mul || (n.name == "/model.0/act/Mul" && n.op == "Mul");
  EXPECT_TRUE(has_mul);
  prepare_graph(back);
  expect_same_graph(g, back);
}

TEST(OnnxExport, ExportedFileComputesWhatTheGraphComputes) {
  Graph g = build_builtin_model("yolo11n.yaml", 320);
  std::string path = temp_path("run.onnx");
  export_onnx(g, path);
  Graph back = load_onnx_file(path);
  std::filesystem::remove(path);
  prepare_graph(g);
  prepare_graph(back);
  Executor a(std::move(g), make_cpu_backend());
  Executor b(std::move(back), make_cpu_backend());
  Tensor x(DType::kFloat32, {1, 3, 320, 320});
  for (int64_t i = 0; i < x.numel(); ++i)
    x.ptr<float>()[i] = static_cast<float>((i * 7919) % 256) / 255.0f;
  a.set_input(0, x);
  b.set_input(0, x);
  a.run();
  b.run();
  Tensor ya = a.read_output(0), yb = b.read_output(0);
  ASSERT_EQ(ya.shape(), (Shape{1, 84, 2100}));
  EXPECT_TRUE(same_bytes(ya, yb));
}

TEST(OnnxExport, RealModelRoundTrips) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  Graph real = load_onnx_file(testing::testdata("models/yolov8n-coco.onnx"));
  Graph back = load_onnx_bytes(export_onnx_bytes(real, 22), "re-exported yolov8n");
  EXPECT_EQ(back.opset, 22);
  EXPECT_EQ(back.metadata, real.metadata);
  expect_same_graph(real, back, false);
}

TEST(OnnxExport, ErrorsNameTheProblem) {
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  std::string bad = "/nonexistent-dir-ys/model.onnx";
  try {
    export_onnx(g, bad);
    FAIL() << "no error for an unwritable path";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(bad + ".tmp"));
  try {
    export_onnx_bytes(g, 11);
    FAIL() << "no error for opset 11";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
  }
}

TEST(OnnxExport, FailedWriteKeepsTheOldFile) {
  std::string dir = temp_path("dir");
  std::filesystem::create_directories(dir);
  std::string path = dir + "/model.onnx";
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  export_onnx(g, path);
  auto size = std::filesystem::file_size(path);
  // A directory in the temporary file's place makes the write fail.
  std::filesystem::create_directories(path + ".tmp");
  EXPECT_THROW(export_onnx(g, path), Error);
  EXPECT_EQ(std::filesystem::file_size(path), size);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ys
