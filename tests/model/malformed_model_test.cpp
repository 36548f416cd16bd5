// Malformed models are refused with an ys::Error that names the node, the attribute or input and
// why, before any kernel exists (issue 12): each test here was a crash, an over-read or a silent
// acceptance before.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "model/onnx_loader.h"
#include "model/op_schema.h"
#include "model/prepare.h"
#include "test_data.h"

namespace ys {
namespace {

using onnx::AttributeProto;
using onnx::TensorProto;

void add_ints(onnx::NodeProto* n, const std::string& key, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void add_floats(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(TensorProto::FLOAT);
  int64_t count = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    count *= d;
  }
  for (int64_t i = 0; i < count; ++i) t->add_float_data(0.25f);
}

void add_int64s(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& v) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(v.size()));
  for (int64_t x : v) t->add_int64_data(x);
}

// images [1, 3, 8, 8] -> Conv 'conv' (4 filters 3x3, bias) -> MaxPool 'pool' (2x2) -> y.
onnx::ModelProto conv_pool_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  auto* in = g->add_input();
  in->set_name("images");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(TensorProto::FLOAT);
  for (int64_t d : {1, 3, 8, 8}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  add_floats(g, "w", {4, 3, 3, 3});
  add_floats(g, "b", {4});
  auto* conv = g->add_node();
  conv->set_name("conv");
  conv->set_op_type("Conv");
  for (const char* i : {"images", "w", "b"}) conv->add_input(i);
  conv->add_output("c");
  add_ints(conv, "kernel_shape", {3, 3});
  add_ints(conv, "pads", {1, 1, 1, 1});
  auto* pool = g->add_node();
  pool->set_name("pool");
  pool->set_op_type("MaxPool");
  pool->add_input("c");
  pool->add_output("y");
  add_ints(pool, "kernel_shape", {2, 2});
  add_ints(pool, "strides", {2, 2});
  g->add_output()->set_name("y");
  return m;
}

onnx::NodeProto* node(onnx::ModelProto& m, const std::string& name) {
  for (auto& n : *m.mutable_graph()->mutable_node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

void set_ints(onnx::NodeProto* n, const std::string& key, const std::vector<int64_t>& v) {
  for (auto& a : *n->mutable_attribute()) {
    if (a.name() == key) {
      a.clear_ints();
      for (int64_t x : v) a.add_ints(x);
      return;
    }
  }
  add_ints(n, key, v);
}

// Loads and prepares as the detector does; the message of the ys::Error, or "(no error)".
std::string refusal(const onnx::ModelProto& m, PrepareOptions options = {}) {
  try {
    Graph g = load_onnx_bytes(m.SerializeAsString(), "model 'm.onnx'");
    prepare_graph(g, options);
  } catch (const Error& e) {
    EXPECT_NE(e.kind(), ErrorKind::kInternal) << e.what();
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST(MalformedModel, TheValidModelLoads) {
  EXPECT_EQ(refusal(conv_pool_model()), "(no error)");
}

TEST(MalformedModel, ConvZeroStridesAreRefused) {  // was SIGFPE in pooled_shape
  onnx::ModelProto m = conv_pool_model();
  set_ints(node(m, "conv"), "strides", {0, 0});
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Conv 'conv'");
  EXPECT_HAS(msg, "'strides' = [0, 0]");
}

TEST(MalformedModel, ConvOneElementStridesAreRefused) {  // strides[1] was read past the end
  onnx::ModelProto m = conv_pool_model();
  set_ints(node(m, "conv"), "strides", {2});
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Conv 'conv'");
  EXPECT_HAS(msg, "'strides' = [2] has 1 values; 2 expected");
}

TEST(MalformedModel, ConvEmptyStridesAreRefused) {
  onnx::ModelProto m = conv_pool_model();
  set_ints(node(m, "conv"), "strides", {});
  EXPECT_HAS(refusal(m), "'strides' = [] has 0 values; 2 expected");
}

TEST(MalformedModel, ConvSamePaddingWithZeroStrideIsRefused) {  // was SIGFPE in conv_pads
  onnx::ModelProto m = conv_pool_model();
  onnx::NodeProto* conv = node(m, "conv");
  conv->mutable_attribute()->RemoveLast();  // pads
  auto* a = conv->add_attribute();
  a->set_name("auto_pad");
  a->set_type(AttributeProto::STRING);
  a->set_s("SAME_UPPER");
  set_ints(conv, "strides", {1, 0});
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Conv 'conv'");
  EXPECT_HAS(msg, "strides");
}

TEST(MalformedModel, MaxPoolZeroAndOneElementStridesAreRefused) {
  for (const std::vector<int64_t>& strides : {std::vector<int64_t>{0, 0}, {2}}) {
    onnx::ModelProto m = conv_pool_model();
    set_ints(node(m, "pool"), "strides", strides);
    std::string msg = refusal(m);
    EXPECT_HAS(msg, "MaxPool 'pool'");
    EXPECT_HAS(msg, "'strides'");
  }
}

TEST(MalformedModel, MaxPoolZeroKernelAndLargePadsAreRefused) {
  onnx::ModelProto m = conv_pool_model();
  set_ints(node(m, "pool"), "kernel_shape", {0, 2});
  EXPECT_HAS(refusal(m), "'kernel_shape' = [0, 2]");
  m = conv_pool_model();
  set_ints(node(m, "pool"), "pads", {2, 0, 0, 0});
  EXPECT_HAS(refusal(m), "each pad must be smaller than the kernel");
}

TEST(MalformedModel, DirectConvPadsCallWithZeroStrideThrows) {
  Node n;
  n.name = "direct";
  n.op = "Conv";
  n.attrs["auto_pad"] = std::string("SAME_LOWER");
  EXPECT_THROW(conv_pads(n, {1, 3, 8, 8}, {3, 3}, {0, 0}, {1, 1}), Error);
  EXPECT_THROW(conv_pads(n, {1, 3, 8, 8}, {3, 3}, {1}, {1, 1}), Error);
}

TEST(MalformedModel, ConvBiasWithFewerElementsThanChannelsIsRefused) {  // oneDNN over-read
  onnx::ModelProto m = conv_pool_model();
  auto* g = m.mutable_graph();
  for (auto& t : *g->mutable_initializer()) {
    if (t.name() == "b") {
      t.set_dims(0, 1);
      t.mutable_float_data()->Truncate(1);
    }
  }
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Conv 'conv'");
  EXPECT_HAS(msg, "bias 'b' has shape [1]");
  EXPECT_HAS(msg, "4 output channels");
}

TEST(MalformedModel, KernelShapeDisagreeingWithTheWeightsIsRefused) {
  onnx::ModelProto m = conv_pool_model();
  set_ints(node(m, "conv"), "kernel_shape", {5, 5});
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Conv 'conv'");
  EXPECT_HAS(msg, "'kernel_shape' = [5, 5] disagrees with the weights");
}

TEST(MalformedModel, ConvGroupThatDoesNotDivideTheChannelsIsRefused) {
  onnx::ModelProto m = conv_pool_model();
  auto* a = node(m, "conv")->add_attribute();
  a->set_name("group");
  a->set_type(AttributeProto::INT);
  a->set_i(0);
  EXPECT_HAS(refusal(m), "'group' = 0 must be in [1, 4]");
}

TEST(MalformedModel, AnInputTheDetectorNeverFeedsIsRefusedAtLoad) {
  onnx::ModelProto m = conv_pool_model();
  auto* extra = m.mutable_graph()->add_input();
  extra->CopyFrom(m.graph().input(0));
  extra->set_name("extra");
  node(m, "conv")->set_input(1, "extra_w");
  // The weights now come from a second graph input: nothing would ever fill it.
  auto* w = m.mutable_graph()->add_input();
  w->set_name("extra_w");
  auto* tt = w->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(TensorProto::FLOAT);
  for (int64_t d : {4, 3, 3, 3}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "depend on input 2 'extra_w'");
  EXPECT_HAS(msg, "only the first, the image ('images'), is fed");
}

TEST(MalformedModel, AnUnusedExtraInputIsHarmless) {
  onnx::ModelProto m = conv_pool_model();
  auto* extra = m.mutable_graph()->add_input();
  extra->CopyFrom(m.graph().input(0));
  extra->set_name("unused");
  EXPECT_EQ(refusal(m), "(no error)");
}

TEST(MalformedModel, CallersThatFeedEveryInputMayHaveMore) {
  onnx::ModelProto m = conv_pool_model();
  auto* a = m.mutable_graph()->add_node();
  a->set_name("add");
  a->set_op_type("Add");
  a->add_input("y");
  a->add_input("other");
  a->add_output("sum");
  auto* other = m.mutable_graph()->add_input();
  other->CopyFrom(m.graph().input(0));
  other->set_name("other");
  m.mutable_graph()->mutable_output(0)->set_name("sum");
  EXPECT_HAS(refusal(m), "input 1 'other'");
  PrepareOptions all;
  all.feeds_all_inputs = true;
  std::string msg = refusal(m, all);
  EXPECT_EQ(msg.find("is fed"), std::string::npos) << msg;
}

TEST(MalformedModel, OpsetAndIrVersionBeyondOursAreRefused) {
  onnx::ModelProto m = conv_pool_model();
  m.mutable_opset_import(0)->set_version(99);
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "opset 99");
  EXPECT_HAS(msg, "up to opset 22");
  m = conv_pool_model();
  m.set_ir_version(99);
  msg = refusal(m);
  EXPECT_HAS(msg, "IR version 99");
  EXPECT_HAS(msg, "3 to 10");
  m = conv_pool_model();
  m.clear_ir_version();
  EXPECT_HAS(refusal(m), "IR version 0");
  m = conv_pool_model();
  m.mutable_opset_import(0)->set_version(22);
  m.set_ir_version(10);
  EXPECT_EQ(refusal(m), "(no error)");
}

TEST(MalformedModel, InputDimsNear2To62AreRefused) {  // numel and conv arithmetic overflowed
  onnx::ModelProto m = conv_pool_model();
  auto* shape = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type();
  shape->mutable_shape()->mutable_dim(2)->set_dim_value(int64_t{1} << 62);
  shape->mutable_shape()->mutable_dim(3)->set_dim_value(int64_t{1} << 62);
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "input 'images'");
  EXPECT_HAS(msg, "4611686018427387904");
}

TEST(MalformedModel, ShapeArithmeticBeyondInt64IsRefused) {
  // Tile with repeats near 2^62 and a Reshape whose target multiplies past int64.
  onnx::ModelProto m = conv_pool_model();
  add_int64s(m.mutable_graph(), "reps", {1, 1, int64_t{1} << 62, int64_t{1} << 62});
  auto* tile = m.mutable_graph()->add_node();
  tile->set_name("tile");
  tile->set_op_type("Tile");
  tile->add_input("y");
  tile->add_input("reps");
  tile->add_output("t");
  m.mutable_graph()->mutable_output(0)->set_name("t");
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Tile 'tile'");
  EXPECT_HAS(msg, "overflows int64");

  m = conv_pool_model();
  add_int64s(m.mutable_graph(), "target", {int64_t{1} << 62, int64_t{1} << 62, -1});
  auto* reshape = m.mutable_graph()->add_node();
  reshape->set_name("reshape");
  reshape->set_op_type("Reshape");
  reshape->add_input("y");
  reshape->add_input("target");
  reshape->add_output("r");
  m.mutable_graph()->mutable_output(0)->set_name("r");
  msg = refusal(m);
  EXPECT_HAS(msg, "Reshape 'reshape'");
  EXPECT_HAS(msg, "too large");
}

TEST(MalformedModel, HugeConvPaddingIsRefusedNotOverflowed) {
  onnx::ModelProto m = conv_pool_model();
  set_ints(node(m, "conv"), "pads", {int64_t{1} << 62, 0, 0, 0});
  EXPECT_HAS(refusal(m), "'pads' = [4611686018427387904, 0, 0, 0]");
}

TEST(MalformedModel, StructuralDefectsAreRefused) {
  // A required input given as "", an output listed twice, inputs of different types.
  onnx::ModelProto m = conv_pool_model();
  node(m, "conv")->set_input(1, "");
  EXPECT_HAS(refusal(m), "the required input 1 is omitted");

  m = conv_pool_model();
  node(m, "pool")->set_output(0, "c");
  EXPECT_HAS(refusal(m), "output 'c' is already");

  m = conv_pool_model();
  node(m, "pool")->clear_output();
  EXPECT_HAS(refusal(m), "0 outputs");

  m = conv_pool_model();
  add_int64s(m.mutable_graph(), "ints", {1, 4, 4, 4});
  auto* cat = m.mutable_graph()->add_node();
  cat->set_name("cat");
  cat->set_op_type("Concat");
  cat->add_input("y");
  cat->add_input("ints");
  cat->add_output("z");
  auto* axis = cat->add_attribute();
  axis->set_name("axis");
  axis->set_type(AttributeProto::INT);
  axis->set_i(0);
  m.mutable_graph()->mutable_output(0)->set_name("z");
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Concat 'cat'");
  EXPECT_HAS(msg, "is int64");
}

TEST(MalformedModel, UnknownAttributeOnShapeIsRefused) {  // Shape accepted any attribute
  onnx::ModelProto m = conv_pool_model();
  auto* shape = m.mutable_graph()->add_node();
  shape->set_name("shape");
  shape->set_op_type("Shape");
  shape->add_input("y");
  shape->add_output("s");
  auto* a = shape->add_attribute();
  a->set_name("stop");
  a->set_type(AttributeProto::INT);
  a->set_i(2);
  m.mutable_graph()->mutable_output(0)->set_name("s");
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Shape 'shape'");
  EXPECT_HAS(msg, "attribute 'stop' is not supported");
}

TEST(MalformedModel, UnknownResizeNearestModeIsRefused) {  // was read as round_prefer_floor
  onnx::ModelProto m = conv_pool_model();
  auto* g = m.mutable_graph();
  auto* scales = g->add_initializer();
  scales->set_name("scales");
  scales->set_data_type(TensorProto::FLOAT);
  scales->add_dims(4);
  for (float v : {1.f, 1.f, 2.f, 2.f}) scales->add_float_data(v);
  auto* resize = g->add_node();
  resize->set_name("up");
  resize->set_op_type("Resize");
  for (const char* i : {"y", "", "scales"}) resize->add_input(i);
  resize->add_output("z");
  auto* mode = resize->add_attribute();
  mode->set_name("nearest_mode");
  mode->set_type(AttributeProto::STRING);
  mode->set_s("nearest_even");
  g->mutable_output(0)->set_name("z");
  std::string msg = refusal(m);
  EXPECT_HAS(msg, "Resize 'up'");
  EXPECT_HAS(msg, "'nearest_mode' = 'nearest_even' is not one of");
  mode->set_s("floor");
  EXPECT_EQ(refusal(m), "(no error)");
  scales->set_float_data(3, std::numeric_limits<float>::infinity());
  EXPECT_HAS(refusal(m), "is not a positive finite number");
}

// A graph whose output `name` is computed from constants only, folded at prepare.
Tensor folded_output(onnx::ModelProto m, const std::string& name) {
  m.mutable_graph()->mutable_output(0)->set_name(name);
  Graph g = load_onnx_bytes(m.SerializeAsString(), "folding");
  prepare_graph(g);
  return g.values[static_cast<size_t>(g.outputs[0])].data;
}

TEST(MalformedModel, ConstantFoldingOverflowWrapsAndCastsSaturate) {  // UBSan: overflow, cast
  onnx::ModelProto m = conv_pool_model();
  auto* g = m.mutable_graph();
  add_int64s(g, "big", {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()});
  add_int64s(g, "minus_one", {1, -1});
  auto* add = g->add_node();
  add->set_op_type("Add");
  add->add_input("big");
  add->add_input("minus_one");
  add->add_output("sum");
  auto* div = g->add_node();
  div->set_op_type("Div");
  div->add_input("big");
  div->add_input("minus_one");
  div->add_output("quotient");
  auto* floats = g->add_initializer();
  floats->set_name("floats");
  floats->set_data_type(TensorProto::FLOAT);
  floats->add_dims(3);
  for (float v : {1e30f, -1e30f, std::numeric_limits<float>::quiet_NaN()})
    floats->add_float_data(v);
  auto* cast = g->add_node();
  cast->set_op_type("Cast");
  cast->add_input("floats");
  cast->add_output("ints");
  auto* to = cast->add_attribute();
  to->set_name("to");
  to->set_type(AttributeProto::INT);
  to->set_i(TensorProto::INT64);

  Tensor sum = folded_output(m, "sum");
  ASSERT_FALSE(sum.empty());
  EXPECT_EQ(sum.ptr<int64_t>()[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(sum.ptr<int64_t>()[1], std::numeric_limits<int64_t>::max());
  Tensor quotient = folded_output(m, "quotient");
  EXPECT_EQ(quotient.ptr<int64_t>()[1], std::numeric_limits<int64_t>::min());
  Tensor ints = folded_output(m, "ints");
  EXPECT_EQ(ints.ptr<int64_t>()[0], std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ints.ptr<int64_t>()[1], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ints.ptr<int64_t>()[2], 0);
}

TEST(MalformedModel, ZeroStrideInRealModelConvsIsRefused) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  std::ifstream f(testing::testdata("models/yolov8n-coco.onnx"), std::ios::binary);
  onnx::ModelProto real;
  ASSERT_TRUE(real.ParseFromIstream(&f));
  // Every eighth Conv of the real model in turn gets a zero stride: refused, naming that node.
  int convs = 0;
  for (int k = 0; k < real.graph().node_size(); ++k) {
    if (real.graph().node(k).op_type() != "Conv" || convs++ % 8 != 0) continue;
    onnx::ModelProto m = real;
    set_ints(m.mutable_graph()->mutable_node(k), "strides", {1, 0});
    std::string msg = refusal(m);
    EXPECT_HAS(msg, real.graph().node(k).name());
    EXPECT_HAS(msg, "'strides'");
  }
  EXPECT_GT(convs, 8);
}

}  // namespace
}  // namespace ys
