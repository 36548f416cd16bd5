// Writes the seed corpus of model_fuzzer: small valid ONNX models that reach every op in the
// registry, and malformed variants of them (the defects of issue 12). Run it by hand after
// changing the seeds:  build-fuzz/fuzz/model_fuzzer_seeds fuzz/corpus/model
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

using onnx::AttributeProto;
using onnx::TensorProto;

struct Builder {
  onnx::ModelProto m;
  onnx::GraphProto* g;

  explicit Builder(int64_t opset = 17, int64_t ir = 8) : g(m.mutable_graph()) {
    m.set_ir_version(ir);
    auto* imp = m.add_opset_import();
    imp->set_domain("");
    imp->set_version(opset);
    g->set_name("seed");
  }
  void input(const std::string& name, std::initializer_list<int64_t> dims,
             int type = TensorProto::FLOAT) {
    auto* tt = g->add_input()->mutable_type()->mutable_tensor_type();
    g->mutable_input(g->input_size() - 1)->set_name(name);
    tt->set_elem_type(type);
    for (int64_t d : dims) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d > 0) {
        dim->set_dim_value(d);
      } else {
        dim->set_dim_param("n");
      }
    }
  }
  void output(const std::string& name) { g->add_output()->set_name(name); }
  void floats(const std::string& name, std::initializer_list<int64_t> dims, float fill = 0.5f) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(TensorProto::FLOAT);
    int64_t n = 1;
    for (int64_t d : dims) {
      t->add_dims(d);
      n *= d;
    }
    for (int64_t i = 0; i < n; ++i) t->add_float_data(fill * static_cast<float>(i % 7 - 3));
  }
  void ints(const std::string& name, std::vector<int64_t> values, bool scalar = false) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(TensorProto::INT64);
    if (!scalar) t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
  }
  onnx::NodeProto* node(const std::string& op, std::initializer_list<std::string> ins,
                        std::initializer_list<std::string> outs) {
    auto* n = g->add_node();
    n->set_name(op + "_" + std::to_string(g->node_size()));
    n->set_op_type(op);
    for (const auto& i : ins) n->add_input(i);
    for (const auto& o : outs) n->add_output(o);
    return n;
  }
};

void attr(onnx::NodeProto* n, const std::string& key, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void attr(onnx::NodeProto* n, const std::string& key, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(AttributeProto::INT);
  a->set_i(v);
}
void attr(onnx::NodeProto* n, const std::string& key, const char* v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(AttributeProto::STRING);
  a->set_s(v);
}
void attr(onnx::NodeProto* n, const std::string& key, float v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(AttributeProto::FLOAT);
  a->set_f(v);
}

// A YOLO-like block: Conv + SiLU, MaxPool, nearest Resize, Concat, Split, Reshape, Softmax.
Builder conv_block(std::vector<int64_t> strides = {1, 1}, int64_t bias = 4) {
  Builder b;
  b.input("images", {1, 3, 8, 8});
  b.floats("w", {4, 3, 3, 3});
  b.floats("b", {bias});
  b.floats("scales", {4}, 0.f);
  auto* s = b.g->mutable_initializer(b.g->initializer_size() - 1);
  s->clear_float_data();
  for (float v : {1.f, 1.f, 2.f, 2.f}) s->add_float_data(v);
  b.ints("split", {4, 4});
  b.ints("shape", {1, 4, -1});
  auto* c = b.node("Conv", {"images", "w", "b"}, {"c"});
  attr(c, "kernel_shape", {3, 3});
  attr(c, "strides", strides);
  attr(c, "pads", {1, 1, 1, 1});
  b.node("Sigmoid", {"c"}, {"sig"});
  b.node("Mul", {"c", "sig"}, {"act"});
  auto* p = b.node("MaxPool", {"act"}, {"pool"});
  attr(p, "kernel_shape", {2, 2});
  attr(p, "strides", {2, 2});
  attr(b.node("Resize", {"pool", "", "scales"}, {"up"}), "mode", "nearest");
  auto* cat = b.node("Concat", {"act", "up"}, {"cat"});
  attr(cat, "axis", int64_t{1});
  auto* sp = b.node("Split", {"cat", "split"}, {"s0", "s1"});
  attr(sp, "axis", int64_t{1});
  b.node("Add", {"s0", "s1"}, {"sum"});
  b.node("Reshape", {"sum", "shape"}, {"r"});
  auto* sm = b.node("Softmax", {"r"}, {"out"});
  attr(sm, "axis", int64_t{1});
  b.output("out");
  return b;
}

// An unsimplified export's shape arithmetic: Shape -> Gather -> Unsqueeze -> Concat -> Reshape,
// with Slice, Transpose, Squeeze and Cast on a dynamic input.
Builder shape_chain(int64_t opset = 17) {
  Builder b(opset);
  b.input("x", {-1, 3, 4, 4});
  b.ints("zero", {0}, true);
  b.ints("minus1", {-1});
  b.ints("axes0", {0});
  b.ints("starts", {1});
  b.ints("ends", {3});
  b.ints("axis1", {1});
  b.node("Shape", {"x"}, {"shp"});
  auto* ga = b.node("Gather", {"shp", "zero"}, {"batch"});
  attr(ga, "axis", int64_t{0});
  if (opset >= 13) {
    b.node("Unsqueeze", {"batch", "axes0"}, {"batch1"});
  } else {
    attr(b.node("Unsqueeze", {"batch"}, {"batch1"}), "axes", std::vector<int64_t>{0});
  }
  auto* cc = b.node("Concat", {"batch1", "minus1"}, {"target"});
  attr(cc, "axis", int64_t{0});
  if (opset >= 10) {
    b.node("Slice", {"x", "starts", "ends", "axis1"}, {"sl"});
  } else {
    auto* sl = b.node("Slice", {"x"}, {"sl"});
    attr(sl, "starts", std::vector<int64_t>{1});
    attr(sl, "ends", std::vector<int64_t>{3});
    attr(sl, "axes", std::vector<int64_t>{1});
  }
  auto* t = b.node("Transpose", {"sl"}, {"tr"});
  attr(t, "perm", {0, 2, 3, 1});
  b.node("Reshape", {"tr", "target"}, {"flat"});
  auto* cast = b.node("Cast", {"flat"}, {"out"});
  attr(cast, "to", int64_t{TensorProto::FLOAT});
  b.output("out");
  return b;
}

// Dense layers and constants computed in the graph: Flatten, Gemm, MatMul, GlobalAveragePool,
// AveragePool, ConstantOfShape, Range, Expand, Tile, Where, Equal, Clip.
Builder dense() {
  Builder b;
  b.input("x", {1, 2, 4, 4});
  b.floats("gw", {5, 2});
  b.floats("gb", {5});
  b.floats("mw", {5, 3});
  b.ints("cshape", {1, 3});
  b.ints("rstart", {0}, true);
  b.ints("rlimit", {3}, true);
  b.ints("rdelta", {1}, true);
  b.ints("reps", {1, 1});
  auto* ap = b.node("AveragePool", {"x"}, {"ap"});
  attr(ap, "kernel_shape", {2, 2});
  attr(ap, "strides", {2, 2});
  attr(ap, "count_include_pad", int64_t{1});
  b.node("GlobalAveragePool", {"ap"}, {"gap"});
  b.node("Flatten", {"gap"}, {"fl"});
  auto* gm = b.node("Gemm", {"fl", "gw", "gb"}, {"gm"});
  attr(gm, "transB", int64_t{1});
  attr(gm, "alpha", 0.5f);
  b.node("MatMul", {"gm", "mw"}, {"mm"});
  b.node("ConstantOfShape", {"cshape"}, {"ones"});
  b.node("Range", {"rstart", "rlimit", "rdelta"}, {"rng"});
  b.node("Cast", {"rng"}, {"rngf"});
  attr(b.g->mutable_node(b.g->node_size() - 1), "to", int64_t{TensorProto::FLOAT});
  b.node("Expand", {"rngf", "cshape"}, {"ex"});
  b.node("Tile", {"ex", "reps"}, {"ti"});
  b.node("Equal", {"ones", "ti"}, {"eq"});
  b.node("Where", {"eq", "mm", "ti"}, {"wh"});
  b.node("Clip", {"wh"}, {"out"});
  b.output("out");
  return b;
}

// Integer and float constants folded at load time: Add, Sub, Mul, Div, Max, Min on int64, a Cast
// from float and a Resize to explicit sizes, ending in a Reshape whose target they compute.
Builder folding() {
  Builder b;
  b.input("x", {1, 3, 4, 4});
  b.ints("a", {1, 3, 8, 8});
  b.ints("b", {0, 0, 8, 8});
  b.floats("f", {4});
  auto* f = b.g->mutable_initializer(b.g->initializer_size() - 1);
  for (int i = 0; i < f->float_data_size(); ++i) f->set_float_data(i, 1.f);
  b.ints("sizes", {1, 3, 8, 8});
  b.node("Add", {"a", "b"}, {"s"});
  b.node("Sub", {"s", "b"}, {"d"});
  b.node("Mul", {"d", "a"}, {"m"});
  b.node("Div", {"m", "a"}, {"q"});
  b.node("Max", {"q", "a"}, {"hi"});
  b.node("Min", {"hi", "s"}, {"lo"});
  attr(b.node("Cast", {"f"}, {"fi"}), "to", int64_t{TensorProto::INT64});
  b.node("Mul", {"lo", "fi"}, {"target"});
  b.node("Resize", {"x", "", "", "sizes"}, {"up"});
  b.node("Reshape", {"up", "target"}, {"out"});
  b.output("out");
  return b;
}

void write(const std::filesystem::path& dir, const std::string& name, const Builder& b) {
  std::ofstream(dir / (name + ".onnx"), std::ios::binary) << b.m.SerializeAsString();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  write(dir, "conv_block", conv_block());
  write(dir, "shape_chain_opset17", shape_chain(17));
  write(dir, "shape_chain_opset11", shape_chain(11));
  write(dir, "shape_chain_opset9", shape_chain(9));
  write(dir, "dense", dense());
  write(dir, "folding", folding());
  // The malformed models of issue 12, each refused with an error now.
  write(dir, "bad_conv_zero_strides", conv_block({0, 0}));
  write(dir, "bad_conv_one_stride", conv_block({2}));
  write(dir, "bad_conv_short_bias", conv_block({1, 1}, 1));
  Builder kernel = conv_block();
  kernel.g->mutable_node(0)->mutable_attribute(0)->set_ints(0, 5);
  write(dir, "bad_conv_kernel_shape", kernel);
  Builder pool = conv_block();
  pool.g->mutable_node(3)->mutable_attribute(1)->set_ints(0, 0);
  write(dir, "bad_maxpool_zero_stride", pool);
  Builder opset = conv_block();
  opset.m.mutable_opset_import(0)->set_version(99);
  write(dir, "bad_opset_99", opset);
  Builder ir = conv_block();
  ir.m.set_ir_version(99);
  write(dir, "bad_ir_version_99", ir);
  Builder huge = conv_block();
  auto* dim = huge.g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dim->mutable_dim(2)->set_dim_value(int64_t{1} << 62);
  write(dir, "bad_dims_2_62", huge);
  Builder unfed = conv_block();
  unfed.input("extra", {1, 4, 8, 8});
  unfed.g->mutable_node(2)->set_input(0, "extra");
  write(dir, "bad_unfed_input", unfed);
  Builder overflow = folding();
  overflow.g->mutable_initializer(0)->set_int64_data(0, INT64_MAX);
  overflow.g->mutable_initializer(1)->set_int64_data(0, INT64_MAX);
  write(dir, "bad_folding_overflow", overflow);
  return 0;
}
