// Built-in architectures: every one builds and prepares, matches Ultralytics' real exports node by
// node (where ../shared has them) and in parameter count, has deterministic weights, and runs to
// finite, unremarkable outputs on the CPU backend.
#include "model/builtin_models.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <type_traits>
#include <variant>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"
#include "core/npy.h"
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

// Parameters of the trained network: initializers named after the PyTorch state dict.
int64_t weight_count(const Graph& g) {
  int64_t n = 0;
  for (const Value& v : g.values) {
    if (v.is_constant() && v.name.rfind("model.", 0) == 0) n += v.data.numel();
  }
  return n;
}

const Value& value_named(const Graph& g, const std::string& name) {
  int v = g.find_value(name);
  if (v < 0) throw Error(ErrorKind::kNotFound, "no value '" + name + "'");
  return g.values[static_cast<size_t>(v)];
}

// Compares a built-in graph with a real export, node by node: op, name, attributes, input and
// output names, and the constants the two share by name. PyTorch names its Split sizes
// "onnx::Split_<counter>", so those compare by content. Identity nodes in the real graph come
// from the exporter deduplicating equal initializers (random-weight exports) and are skipped.
void expect_same_structure(const Graph& mine, const Graph& real) {
  std::vector<const Node*> real_nodes;
  for (const Node& n : real.nodes) {
    if (n.op != "Identity") real_nodes.push_back(&n);
  }
  ASSERT_EQ(mine.nodes.size(), real_nodes.size());
  for (size_t k = 0; k < mine.nodes.size(); ++k) {
    const Node& a = mine.nodes[k];
    const Node& b = *real_nodes[k];
    SCOPED_TRACE(cat("node ", k, ": ", describe(b)));
    ASSERT_EQ(a.op, b.op);
    ASSERT_EQ(a.name, b.name);
    ASSERT_EQ(a.inputs.size(), b.inputs.size());
    ASSERT_EQ(a.outputs.size(), b.outputs.size());
    for (size_t i = 0; i < a.outputs.size(); ++i) {
      EXPECT_EQ(mine.output_value(a, i).name, real.output_value(b, i).name);
    }
    for (size_t i = 0; i < a.inputs.size(); ++i) {
      ASSERT_EQ(a.inputs[i] < 0, b.inputs[i] < 0);
      if (a.inputs[i] < 0) continue;
      const Value& va = mine.input_value(a, i);
      const Value& vb = real.input_value(b, i);
      if (vb.name.rfind("onnx::Split", 0) == 0) {
        EXPECT_TRUE(same_bytes(va.data, vb.data)) << va.name;
        continue;
      }
      EXPECT_EQ(va.name, vb.name);
      if (vb.producer >= 0 && real.nodes[static_cast<size_t>(vb.producer)].op == "Identity") {
        EXPECT_TRUE(va.is_constant()) << va.name;  // a deduplicated initializer
        continue;
      }
      EXPECT_EQ(va.is_constant(), vb.is_constant()) << va.name;
      if (!va.is_constant() || !vb.is_constant()) continue;
      EXPECT_EQ(va.shape, vb.shape) << va.name;
      bool trained = va.name.rfind("model.", 0) == 0 && va.name.find(".dfl.") == std::string::npos;
      if (!trained) {
        EXPECT_TRUE(same_bytes(va.data, vb.data)) << va.name;
      }
    }
    ASSERT_EQ(a.attrs.size(), b.attrs.size());
    for (const auto& [key, attr] : b.attrs) {
      ASSERT_TRUE(has_attr(a, key)) << key;
      EXPECT_TRUE(same_attr(a.attrs.at(key), attr)) << key;
    }
  }
  ASSERT_EQ(mine.inputs.size(), 1u);
  EXPECT_EQ(mine.values[static_cast<size_t>(mine.inputs[0])].name, "images");
  EXPECT_EQ(mine.values[static_cast<size_t>(mine.inputs[0])].shape,
            real.values[static_cast<size_t>(real.inputs[0])].shape);
  EXPECT_EQ(mine.values[static_cast<size_t>(mine.outputs[0])].name, "output0");
}

// After shape inference both graphs must agree on every node's output shapes.
void expect_same_shapes(Graph mine, Graph real) {
  PrepareOptions o;
  o.fuse = false;
  prepare_graph(mine, o);
  prepare_graph(real, o);
  std::vector<const Node*> real_nodes;
  for (const Node& n : real.nodes) {
    if (n.op != "Identity") real_nodes.push_back(&n);
  }
  ASSERT_EQ(mine.nodes.size(), real_nodes.size());
  for (size_t k = 0; k < mine.nodes.size(); ++k) {
    const Node& a = mine.nodes[k];
    const Node& b = *real_nodes[k];
    ASSERT_EQ(a.name, b.name);
    for (size_t i = 0; i < a.outputs.size(); ++i) {
      EXPECT_EQ(mine.output_value(a, i).shape, real.output_value(b, i).shape) << a.name;
    }
  }
  EXPECT_EQ(mine.parameter_count(), real.parameter_count());
}

TEST(BuiltinModels, NamesAndLookup) {
  EXPECT_EQ(builtin_model_names(), (std::vector<std::string>{"yolov8n.yaml", "yolov8s.yaml",
                                                             "yolo11n.yaml", "yolo11s.yaml"}));
  for (const char* n : {"yolov8n.yaml", "yolov8n", "yolo11s", "yolo11n.yaml"}) {
    EXPECT_TRUE(is_builtin_model(n)) << n;
  }
  for (const char* n : {"yolov8m.yaml", "yolov8n.pt", "yolov8n.onnx", "", ".yaml", "YOLOv8n"}) {
    EXPECT_FALSE(is_builtin_model(n)) << n;
  }
  try {
    build_builtin_model("yolov9t.yaml");
    FAIL() << "no error for an unknown name";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    std::string m = e.what();
    EXPECT_NE(m.find("yolov9t.yaml"), std::string::npos) << m;
    for (const std::string& n : builtin_model_names()) EXPECT_NE(m.find(n), std::string::npos) << m;
  }
  for (int64_t bad : {0, 100, -32}) {
    try {
      build_builtin_model("yolov8n", bad);
      FAIL() << "no error for imgsz " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    }
  }
  EXPECT_THROW(build_builtin_model("yolov8n", 640, 0), Error);
}

TEST(BuiltinModels, EveryModelPreparesAt640And320) {
  for (const std::string& name : builtin_model_names()) {
    for (int64_t size : {640, 320}) {
      SCOPED_TRACE(cat(name, " at ", size));
      Graph g = build_builtin_model(name, size);
      EXPECT_TRUE(g.synthetic_weights);
      EXPECT_EQ(g.family, name.rfind("yolov8", 0) == 0 ? "yolov8" : "yolo11");
      EXPECT_NE(g.metadata.at("description").find("SYNTHETIC"), std::string::npos);
      EXPECT_EQ(g.metadata.at("imgsz"), cat("[", size, ", ", size, "]"));
      EXPECT_EQ(g.metadata.at("task"), "detect");
      EXPECT_EQ(g.metadata.at("names").substr(0, 15), "{0: 'person', 1");
      EXPECT_EQ(g.values[static_cast<size_t>(g.inputs[0])].shape, (Shape{1, 3, size, size}));
      prepare_graph(g);
      const Value& out = g.values[static_cast<size_t>(g.outputs[0])];
      EXPECT_EQ(out.name, "output0");
      EXPECT_EQ(out.shape, (Shape{1, 84, size == 640 ? 8400 : 2100}));
      for (const Node& n : g.nodes) {
        EXPECT_NE(n.stage, Stage::kUnknown) << describe(n);
      }
    }
  }
}

TEST(BuiltinModels, BatchIsBakedInLikeAStaticExport) {
  Graph g = build_builtin_model("yolo11n.yaml", 320, 2);
  EXPECT_EQ(g.metadata.at("batch"), "2");
  prepare_graph(g);
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].shape, (Shape{2, 84, 2100}));
}

// Ultralytics' "summary (fused)" parameter counts for the COCO models.
TEST(BuiltinModels, ParameterCountsMatchUltralytics) {
  EXPECT_EQ(weight_count(build_builtin_model("yolov8n.yaml")), 3151904);
  EXPECT_EQ(weight_count(build_builtin_model("yolov8s.yaml")), 11156544);
  EXPECT_EQ(weight_count(build_builtin_model("yolo11n.yaml")), 2616248);
  EXPECT_EQ(weight_count(build_builtin_model("yolo11s.yaml")), 9443760);
}

TEST(BuiltinModels, Yolov8nMatchesTheRealExport) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  Graph real = load_onnx_file(testing::testdata("models/yolov8n-coco.onnx"));
  Graph mine = build_builtin_model("yolov8n.yaml");
  expect_same_structure(mine, real);
  EXPECT_EQ(mine.parameter_count(), real.parameter_count());
  for (const char* key : {"stride", "task", "batch", "imgsz", "names", "channels"}) {
    EXPECT_EQ(mine.metadata.at(key), real.metadata.at(key)) << key;
  }
  expect_same_shapes(std::move(mine), std::move(real));
}

TEST(BuiltinModels, Yolo11nMatchesTheRealExport) {
  YS_REQUIRE_TESTDATA("models/yolo11n-random.onnx");
  Graph real = load_onnx_file(testing::testdata("models/yolo11n-random.onnx"));
  Graph mine = build_builtin_model("yolo11n.yaml");
  expect_same_structure(mine, real);
  expect_same_shapes(std::move(mine), std::move(real));
}

TEST(BuiltinModels, WeightsAreDeterministicAndKeyedByModelAndTensor) {
  Graph a = build_builtin_model("yolov8n.yaml");
  Graph b = build_builtin_model("yolov8n", 320);  // other size: the same weights
  Graph other = build_builtin_model("yolo11n.yaml");
  int compared = 0;
  for (const Value& v : a.values) {
    if (!v.is_constant() || v.name.rfind("model.", 0) != 0) continue;
    ASSERT_TRUE(same_bytes(v.data, value_named(b, v.name).data)) << v.name;
    ++compared;
  }
  EXPECT_GT(compared, 120);
  // Same name and shape in two models, different weights.
  const Value& w8 = value_named(a, "model.0.conv.weight");
  const Value& w11 = value_named(other, "model.0.conv.weight");
  ASSERT_EQ(w8.shape, w11.shape);
  EXPECT_FALSE(same_bytes(w8.data, w11.data));
  // Pinned values: a change to the generator or the scaling changes every built-in model, and
  // should be deliberate.
  EXPECT_EQ(w8.data.ptr<float>()[0], 0x1.101774p-1f);
  EXPECT_FLOAT_EQ(w8.data.ptr<float>()[431], 0.267205089f);
}

// A smooth pattern with edges: realistic enough for the statistics of a photo.
void fill_pattern(const Tensor& t) {
  const int64_t h = t.dim(2), w = t.dim(3);
  float* p = t.ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    int64_t x = i % w, y = (i / w) % h, c = (i / (w * h)) % 3;
    float checker = static_cast<float>(((x / 40) + (y / 40)) % 2);
    p[i] = 0.5f +
           0.3f * std::sin(0.05f * static_cast<float>(x) + static_cast<float>(c)) *
               std::cos(0.03f * static_cast<float>(y)) +
           0.1f * checker;
  }
}

struct RunResult {
  Tensor output;
  std::vector<double> rms;  // of the probed feature maps, in order
};

RunResult run_cpu(Graph g, const std::vector<std::string>& probes, const Tensor* input) {
  for (const std::string& p : probes) g.outputs.push_back(g.find_value(p));
  prepare_graph(g);
  Executor ex(std::move(g), make_cpu_backend());
  if (input) {
    ex.set_input(0, *input);
  } else {
    fill_pattern(ex.input(0));
  }
  ex.run();
  RunResult r;
  r.output = ex.read_output(0);
  for (size_t i = 1; i < ex.graph().outputs.size(); ++i) {
    Tensor t = ex.read_output(i);
    double s = 0;
    for (int64_t k = 0; k < t.numel(); ++k)
      s += static_cast<double>(t.ptr<float>()[k]) * t.ptr<float>()[k];
    r.rms.push_back(std::sqrt(s / static_cast<double>(t.numel())));
  }
  return r;
}

void expect_unremarkable(const Tensor& out, int64_t imgsz) {
  const int64_t a = out.dim(2);
  const float* p = out.ptr<float>();
  for (int64_t i = 0; i < out.numel(); ++i) ASSERT_TRUE(std::isfinite(p[i])) << "element " << i;
  float max_score = 0;
  for (int64_t i = 4 * a; i < 84 * a; ++i) max_score = std::max(max_score, p[i]);
  EXPECT_LT(max_score, 0.25f) << "synthetic weights would produce detections";
  // DFL bounds each side to 15 strides from its anchor; check the decode stayed within them.
  const float reach = 2 * 15 * 32;
  const float lo = -reach / 2, hi = static_cast<float>(imgsz) + reach / 2;
  for (int64_t k = 0; k < a; ++k) {
    EXPECT_TRUE(p[k] > lo && p[k] < hi && p[a + k] > lo && p[a + k] < hi) << "anchor " << k;
    EXPECT_TRUE(p[2 * a + k] >= 0 && p[2 * a + k] <= reach && p[3 * a + k] >= 0 &&
                p[3 * a + k] <= reach)
        << "anchor " << k;
  }
}

TEST(BuiltinModels, RunsToFiniteQuietOutputsWithActivationsInRange) {
  for (const std::string& name : builtin_model_names()) {
    SCOPED_TRACE(name);
    bool v8 = name.rfind("yolov8", 0) == 0;
    int64_t size = name.find('n') != std::string::npos ? 640 : 320;
    // The last layer of each stage, from the first C2f/C3k2 to the last one of the neck.
    std::vector<std::string> probes;
    for (int m : v8 ? std::vector<int>{2, 4, 6, 8, 9, 12, 15, 18, 21}
                    : std::vector<int>{2, 4, 6, 8, 9, 10, 13, 16, 19, 22}) {
      probes.push_back(cat("/model.", m, "/cv2/act/Mul_output_0"));
    }
    RunResult r = run_cpu(build_builtin_model(name, size), probes, nullptr);
    expect_unremarkable(r.output, size);
    for (size_t i = 0; i < probes.size(); ++i) {
      EXPECT_GT(r.rms[i], 0.1) << probes[i];
      EXPECT_LT(r.rms[i], 3.0) << probes[i];
    }
  }
}

TEST(BuiltinModels, RealPhotoGivesNoDetections) {
  YS_REQUIRE_TESTDATA("reference/ort/messi5_input_u8.npy");
  Tensor u8 = load_npy(testing::testdata("reference/ort/messi5_input_u8.npy"));
  Tensor x(DType::kFloat32, u8.shape());
  for (int64_t i = 0; i < x.numel(); ++i) x.ptr<float>()[i] = u8.ptr<uint8_t>()[i] / 255.0f;
  for (const char* name : {"yolov8n.yaml", "yolo11n.yaml"}) {
    SCOPED_TRACE(name);
    expect_unremarkable(run_cpu(build_builtin_model(name), {}, &x).output, 640);
  }
}

}  // namespace
}  // namespace ys
