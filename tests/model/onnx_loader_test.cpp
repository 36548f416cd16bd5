// The loader and the prepare passes: bad models give clear errors, real exports load, fold,
// fuse and map onto backbone/neck/head.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"
#include "model/yolo_family.h"
#include "test_data.h"

namespace ys {
namespace {

std::string temp_file(const std::string& name, const std::string& bytes) {
  std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A one-node model: input x [1,3,8,8] -> op -> y.
std::string tiny_model(const std::string& op, int64_t opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* imp = m.add_opset_import();
  imp->set_domain("");
  imp->set_version(opset);
  auto* g = m.mutable_graph();
  g->set_name("tiny");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {1, 3, 8, 8}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto* n = g->add_node();
  n->set_name("the_node");
  n->set_op_type(op);
  n->add_input("x");
  n->add_output("y");
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OnnxLoader, MissingFileNamesThePath) {
  std::string msg = error_of([] { load_onnx_file("/no/such/model.onnx"); });
  EXPECT_NE(msg.find("/no/such/model.onnx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(OnnxLoader, NotOnnxIsRefused) {
  std::string path = temp_file("ys_not_onnx.onnx", "this is a text file, not a protobuf\n");
  std::string msg = error_of([&] { load_onnx_file(path); });
  EXPECT_NE(msg.find("not a valid ONNX model"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST(OnnxLoader, EmptyFileIsRefused) {
  std::string path = temp_file("ys_empty.onnx", "");
  EXPECT_NE(error_of([&] { load_onnx_file(path); }).find("empty"), std::string::npos);
}

TEST(OnnxLoader, TruncatedModelIsRefusedWithoutCrashing) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  std::ifstream f(testing::testdata("models/yolov8n-coco.onnx"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (size_t cut : {size_t{100}, bytes.size() / 2, bytes.size() - 7}) {
    std::string path = temp_file("ys_truncated.onnx", bytes.substr(0, cut));
    std::string msg = error_of([&] {
      Graph g = load_onnx_file(path);
      prepare_graph(g);
    });
    EXPECT_NE(msg, "(no error)") << "cut at " << cut;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
}

TEST(OnnxLoader, UnsupportedOpNamesNodeOpAndOpset) {
  std::string path = temp_file("ys_unsupported.onnx", tiny_model("NonMaxSuppression", 13));
  std::string msg = error_of([&] { load_onnx_file(path); });
  EXPECT_NE(msg.find("unsupported"), std::string::npos) << msg;
  EXPECT_NE(msg.find("NonMaxSuppression"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the_node"), std::string::npos) << msg;
  EXPECT_NE(msg.find("opset 13"), std::string::npos) << msg;
}

TEST(OnnxLoader, UnsupportedAttributeIsRefusedAtPrepare) {
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(tiny_model("Resize", 13)));
  auto* n = m.mutable_graph()->mutable_node(0);
  auto* a = n->add_attribute();
  a->set_name("mode");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("cubic");
  n->add_input("");
  n->add_input("scales");
  auto* s = m.mutable_graph()->add_initializer();
  s->set_name("scales");
  s->set_data_type(onnx::TensorProto::FLOAT);
  s->add_dims(4);
  for (float v : {1.f, 1.f, 2.f, 2.f}) s->add_float_data(v);
  Graph g = load_onnx_bytes(m.SerializeAsString(), "resize model");
  std::string msg = error_of([&] { prepare_graph(g); });
  EXPECT_NE(msg.find("mode 'cubic'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the_node"), std::string::npos) << msg;
}

TEST(OnnxLoader, InputOfWrongRankIsRefused) {
  Graph g = load_onnx_bytes(tiny_model("Relu"), "relu model");
  std::string msg = error_of([&] { prepare_graph(g, {.input_shape = {1, 3, 8}}); });
  EXPECT_NE(msg.find("rank"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'x'"), std::string::npos) << msg;
}

TEST(OnnxLoader, FixedInputShapeCannotChange) {
  Graph g = load_onnx_bytes(tiny_model("Relu"), "relu model");
  std::string msg = error_of([&] { prepare_graph(g, {.input_shape = {2, 3, 8, 8}}); });
  EXPECT_NE(msg.find("fixed shape"), std::string::npos) << msg;
}

TEST(OnnxLoader, DynamicDimensionsAreFixedAtPrepare) {
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(tiny_model("Relu")));
  auto* shape =
      m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->mutable_dim(0)->set_dim_param("batch");
  shape->mutable_dim(2)->set_dim_param("h");
  Graph g = load_onnx_bytes(m.SerializeAsString(), "dynamic");
  prepare_graph(g, {.input_shape = {4, 3, 32, 8}});
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].shape, (Shape{4, 3, 32, 8}));
}

TEST(YoloFamily, ModuleIndexFromNames) {
  EXPECT_EQ(module_index_from_name("/model.15/cv2/conv/Conv"), 15);
  EXPECT_EQ(module_index_from_name("/model.0/conv/Conv_output_0"), 0);
  EXPECT_EQ(module_index_from_name("model.22.dfl.conv.weight"), 22);
  EXPECT_EQ(module_index_from_name("/mymodel.3/Conv"), -1);
  EXPECT_EQ(module_index_from_name("output0"), -1);
}

struct RealModel {
  const char* file;
  const char* family;
  int head_index;
  size_t fused_convs;
};

class RealExport : public ::testing::TestWithParam<RealModel> {};

TEST_P(RealExport, LoadsFoldsFusesAndMapsStages) {
  const RealModel& p = GetParam();
  YS_REQUIRE_TESTDATA(std::string("models/") + p.file);
  Graph g = load_onnx_file(testing::testdata(std::string("models/") + p.file));
  const size_t raw_nodes = g.nodes.size();
  prepare_graph(g);
  EXPECT_EQ(g.family, p.family);
  EXPECT_LT(g.nodes.size(), raw_nodes);
  size_t silu = 0;
  for (const Node& n : g.nodes) {
    EXPECT_NE(n.op, "Shape") << "shape sub-graphs must fold";
    EXPECT_NE(n.op, "Identity") << "identities must fold";
    EXPECT_NE(n.stage, Stage::kUnknown) << describe(n) << " has no stage";
    if (n.op == "Conv" && n.activation == Activation::kSiLU) ++silu;
    if (n.module == p.head_index) {
      EXPECT_EQ(n.stage, Stage::kHead) << describe(n);
    }
    if (n.module == 0) {
      EXPECT_EQ(n.stage, Stage::kBackbone) << describe(n);
    }
    if (n.stage == Stage::kNeck) {
      EXPECT_GT(n.module, 9) << describe(n);
    }
  }
  EXPECT_EQ(silu, p.fused_convs);
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].shape, (Shape{1, 84, 8400}));
}

INSTANTIATE_TEST_SUITE_P(Models, RealExport,
                         ::testing::Values(RealModel{"yolov8n-coco.onnx", "yolov8", 22, 57},
                                           RealModel{"yolov5nu-random.onnx", "yolov5u", 24, 69},
                                           RealModel{"yolo11n-random.onnx", "yolo11", 23, 77}),
                         [](const auto& info) { return std::string(info.param.family); });

}  // namespace
}  // namespace ys
