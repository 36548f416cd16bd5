#include "model/onnx_loader.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "model/op_schema.h"

namespace ys {
namespace {

// The newest ONNX versions the registry is checked against: opset 22 and IR version 10 (ONNX
// 1.17; onnx_export writes up to them, and the reference exports use them). Newer files may mean
// operators whose semantics changed, so, as ONNX Runtime does, they are refused rather than run
// on a guess. IR version 3 introduced opset imports, which everything below relies on.
constexpr int64_t kMaxOpset = 22;
constexpr int64_t kMinIrVersion = 3;
constexpr int64_t kMaxIrVersion = 10;

DType dtype_from_onnx(int32_t t, const std::string& what) {
  switch (t) {
    case onnx::TensorProto::FLOAT:
      return DType::kFloat32;
    case onnx::TensorProto::FLOAT16:
      return DType::kFloat16;
    case onnx::TensorProto::INT64:
      return DType::kInt64;
    case onnx::TensorProto::INT32:
      return DType::kInt32;
    case onnx::TensorProto::INT8:
      return DType::kInt8;
    case onnx::TensorProto::UINT8:
      return DType::kUInt8;
    case onnx::TensorProto::BOOL:
      return DType::kBool;
    case onnx::TensorProto::DOUBLE:
      return DType::kFloat64;
    default:
      fail(ErrorKind::kUnsupported, "unsupported: ", what, " has ONNX element type ", t);
  }
}

Tensor tensor_from_proto(const onnx::TensorProto& p, const std::string& what) {
  if (p.data_location() == onnx::TensorProto::EXTERNAL) {
    fail(ErrorKind::kUnsupported, "unsupported: ", what, " keeps its data in an external file");
  }
  DType dt = dtype_from_onnx(p.data_type(), what);
  Shape shape(p.dims().begin(), p.dims().end());
  // Check the declared size against the bytes present before allocating: a corrupt file can
  // declare dimensions whose product overflows or exceeds memory.
  const size_t stored = p.has_raw_data()
                            ? p.raw_data().size() / dtype_size(dt)
                            : static_cast<size_t>(p.float_data_size() + p.double_data_size() +
                                                  p.int64_data_size() + p.int32_data_size());
  check_shape(what, shape);
  const int64_t count = numel(shape);
  if (static_cast<size_t>(count) != stored) {
    fail(ErrorKind::kBadModel, what, " should hold ", count, " elements of ", dtype_name(dt),
         " but holds ", stored);
  }
  Tensor t(dt, shape);
  const size_t n = static_cast<size_t>(t.numel());
  auto bad_count = [&](size_t got) {
    fail(ErrorKind::kBadModel, what, " should hold ", n, " elements of ", dtype_name(dt),
         " but holds ", got);
  };
  if (p.has_raw_data()) {
    if (p.raw_data().size() != t.nbytes()) bad_count(p.raw_data().size() / dtype_size(dt));
    if (n) std::memcpy(t.data(), p.raw_data().data(), t.nbytes());
    return t;
  }
  switch (dt) {
    case DType::kFloat32:
      if (static_cast<size_t>(p.float_data_size()) != n)
        bad_count(static_cast<size_t>(p.float_data_size()));
      for (size_t i = 0; i < n; ++i) t.ptr<float>()[i] = p.float_data(static_cast<int>(i));
      break;
    case DType::kFloat64:
      if (static_cast<size_t>(p.double_data_size()) != n)
        bad_count(static_cast<size_t>(p.double_data_size()));
      for (size_t i = 0; i < n; ++i) t.ptr<double>()[i] = p.double_data(static_cast<int>(i));
      break;
    case DType::kInt64:
      if (static_cast<size_t>(p.int64_data_size()) != n)
        bad_count(static_cast<size_t>(p.int64_data_size()));
      for (size_t i = 0; i < n; ++i) t.ptr<int64_t>()[i] = p.int64_data(static_cast<int>(i));
      break;
    default:  // int32, int8, uint8, bool and float16 travel in int32_data
      if (static_cast<size_t>(p.int32_data_size()) != n)
        bad_count(static_cast<size_t>(p.int32_data_size()));
      for (size_t i = 0; i < n; ++i) {
        int32_t v = p.int32_data(static_cast<int>(i));
        switch (dt) {
          case DType::kInt32:
            t.ptr<int32_t>()[i] = v;
            break;
          case DType::kInt8:
            t.ptr<int8_t>()[i] = static_cast<int8_t>(v);
            break;
          case DType::kFloat16:
            t.ptr<uint16_t>()[i] = static_cast<uint16_t>(v);
            break;
          default:
            t.ptr<uint8_t>()[i] = static_cast<uint8_t>(v);
            break;
        }
      }
  }
  return t;
}

Attribute attribute_from_proto(const onnx::AttributeProto& a, const std::string& where) {
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      return a.i();
    case onnx::AttributeProto::FLOAT:
      return a.f();
    case onnx::AttributeProto::STRING:
      return a.s();
    case onnx::AttributeProto::INTS:
      return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case onnx::AttributeProto::FLOATS:
      return std::vector<float>(a.floats().begin(), a.floats().end());
    case onnx::AttributeProto::TENSOR:
      return tensor_from_proto(a.t(), cat(where, " attribute '", a.name(), "'"));
    default:
      fail(ErrorKind::kUnsupported, "unsupported: ", where, ": attribute '", a.name(), "' of kind ",
           onnx::AttributeProto::AttributeType_Name(a.type()));
  }
}

Shape shape_from_type(const onnx::TypeProto& type) {
  Shape s;
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return s;
  for (const auto& d : type.tensor_type().shape().dim()) {
    s.push_back(d.has_dim_value() && d.dim_value() > 0 ? d.dim_value() : -1);
  }
  return s;
}

// A Constant node becomes a constant value; its several attribute spellings fold into one tensor.
Tensor constant_node_value(const onnx::NodeProto& node, const std::string& where) {
  for (const auto& a : node.attribute()) {
    const std::string& k = a.name();
    if (k == "value") return tensor_from_proto(a.t(), where);
    if (k == "value_float") {
      Tensor t(DType::kFloat32, {});
      *t.ptr<float>() = a.f();
      return t;
    }
    if (k == "value_int") {
      Tensor t(DType::kInt64, {});
      *t.ptr<int64_t>() = a.i();
      return t;
    }
    if (k == "value_floats") {
      Tensor t(DType::kFloat32, {a.floats_size()});
      for (int i = 0; i < a.floats_size(); ++i) t.ptr<float>()[i] = a.floats(i);
      return t;
    }
    if (k == "value_ints") {
      Tensor t(DType::kInt64, {a.ints_size()});
      for (int i = 0; i < a.ints_size(); ++i) t.ptr<int64_t>()[i] = a.ints(i);
      return t;
    }
  }
  fail(ErrorKind::kUnsupported, "unsupported: ", where,
       ": no value attribute we understand (sparse or string)");
}

// The default-domain opset the model imports, within the IR versions and opsets this build reads.
int64_t default_opset(const onnx::ModelProto& model, const std::string& origin) {
  if (model.ir_version() < kMinIrVersion || model.ir_version() > kMaxIrVersion) {
    fail(ErrorKind::kUnsupported, "unsupported: ", origin, ": ONNX IR version ", model.ir_version(),
         " (this build reads IR versions ", kMinIrVersion, " to ", kMaxIrVersion, ")");
  }
  int64_t opset = 0;
  for (const auto& op : model.opset_import()) {
    if (!op.domain().empty() && op.domain() != "ai.onnx") continue;
    if (opset != 0 && opset != op.version()) {
      fail(ErrorKind::kBadModel, origin, ": the model imports the default opset twice, as ", opset,
           " and ", op.version());
    }
    opset = op.version();
  }
  if (opset == 0) fail(ErrorKind::kBadModel, origin, ": the model imports no default-domain opset");
  if (opset < 1 || opset > kMaxOpset) {
    fail(ErrorKind::kUnsupported, "unsupported: ", origin, ": opset ", opset,
         " (this build implements the default-domain operators up to opset ", kMaxOpset,
         "; re-export with opset=", kMaxOpset, " or lower)");
  }
  return opset;
}

// Builds the Graph from a GraphProto in its own order: initializers, inputs, nodes, outputs. Each
// step checks what the next relies on (one producer per value, topological order), so a
// malformed model fails here with the node's name rather than later in a kernel.
struct GraphBuilder {
  Graph& g;
  const std::string& origin;
  // find_value is linear; index names once for large graphs.
  std::map<std::string, int> index;

  int lookup(const std::string& name) {
    auto it = index.find(name);
    if (it != index.end()) return it->second;
    int v = g.find_value(name);
    if (v < 0) {
      Value val;
      val.name = name;
      v = g.add_value(std::move(val));
    }
    index[name] = v;
    return v;
  }

  bool is_graph_input(int v) const {
    return std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end();
  }

  void add_initializer(const onnx::TensorProto& init) {
    int v = lookup(init.name());
    Value& val = g.values[static_cast<size_t>(v)];
    val.data = tensor_from_proto(init, cat(origin, ": initializer '", init.name(), "'"));
    val.dtype = val.data.dtype();
    val.shape = val.data.shape();
  }

  void add_input(const onnx::ValueInfoProto& input) {
    int v = lookup(input.name());
    Value& val = g.values[static_cast<size_t>(v)];
    if (val.is_constant()) return;  // older exports list initializers as inputs too
    if (!input.type().has_tensor_type()) {
      fail(ErrorKind::kUnsupported, "unsupported: ", origin, ": input '", input.name(),
           "' is not a tensor");
    }
    if (is_graph_input(v))
      fail(ErrorKind::kBadModel, origin, ": input '", input.name(), "' is listed twice");
    val.dtype =
        dtype_from_onnx(input.type().tensor_type().elem_type(), cat("input '", input.name(), "'"));
    val.shape = shape_from_type(input.type());
    Shape known = val.shape;  // dynamic dimensions (-1) are settled by prepare_graph
    std::replace(known.begin(), known.end(), int64_t{-1}, int64_t{1});
    check_shape(cat(origin, ": input '", input.name(), "'"), known);
    g.inputs.push_back(v);
  }

  // A Constant node becomes a constant value, not a node.
  void add_constant(const onnx::NodeProto& np, const std::string& where) {
    if (np.output_size() != 1)
      fail(ErrorKind::kBadModel, where, ": a Constant must have one output");
    int v = lookup(np.output(0));
    Value& val = g.values[static_cast<size_t>(v)];
    if (val.producer >= 0 || val.is_constant() || is_graph_input(v)) {
      fail(ErrorKind::kBadModel, where, ": output '", np.output(0),
           "' is already a graph input, an initializer or another output (each value has one "
           "producer)");
    }
    val.data = constant_node_value(np, where);
    val.dtype = val.data.dtype();
    val.shape = val.data.shape();
  }

  void add_outputs(const onnx::NodeProto& np, const std::string& where, Node& n) {
    // An empty name marks an omitted optional output; trailing ones are simply not there.
    int n_out = np.output_size();
    while (n_out > 0 && np.output(n_out - 1).empty()) --n_out;
    for (int i = 0; i < n_out; ++i) {
      const std::string& o = np.output(i);
      if (o.empty()) {
        fail(ErrorKind::kUnsupported, "unsupported: ", where, " (opset ", g.opset, "): output ", i,
             " is omitted");
      }
      int v = lookup(o);
      const Value& val = g.values[static_cast<size_t>(v)];
      if (val.producer >= 0 || val.is_constant() || is_graph_input(v) ||
          std::find(n.outputs.begin(), n.outputs.end(), v) != n.outputs.end()) {
        fail(ErrorKind::kBadModel, where, ": output '", o,
             "' is already a graph input, an initializer or another output (each value has one "
             "producer)");
      }
      n.outputs.push_back(v);
    }
    if (n.outputs.empty() || n.outputs.size() > max_outputs(n.op)) {
      fail(ErrorKind::kBadModel, where, ": ", n.outputs.size(), " outputs; ",
           max_outputs(n.op) == 1 ? "1" : cat("1 to ", max_outputs(n.op)), " expected");
    }
  }

  void check_input_count(const OpSchema& schema, const std::string& where, const Node& n) const {
    int n_in = static_cast<int>(n.inputs.size());
    if (n_in < schema.min_inputs || n_in > schema.max_inputs) {
      fail(ErrorKind::kUnsupported, "unsupported: ", where, " (opset ", g.opset, "): ", n_in,
           " inputs; we handle ", schema.min_inputs, " to ", schema.max_inputs);
    }
    // Optional inputs may be omitted with an empty name; the required ones come first.
    for (int i = 0; i < schema.min_inputs; ++i) {
      if (n.inputs[static_cast<size_t>(i)] < 0)
        fail(ErrorKind::kBadModel, where, ": the required input ", i, " is omitted");
    }
  }

  // ONNX lists nodes in topological order: every input is produced before the node.
  void check_inputs_produced(const std::string& where, const Node& n) const {
    for (int i : n.inputs) {
      if (i >= 0 && g.values[static_cast<size_t>(i)].producer < 0 &&
          !g.values[static_cast<size_t>(i)].is_constant() && !is_graph_input(i)) {
        fail(ErrorKind::kBadModel, where, ": input '", g.values[static_cast<size_t>(i)].name,
             "' is produced by no node, initializer or graph input (graph not topologically "
             "sorted?)");
      }
    }
  }

  void add_node(const onnx::NodeProto& np, int index_in_graph) {
    std::string nname = np.name().empty() ? cat(np.op_type(), "_", index_in_graph) : np.name();
    std::string where = cat(np.op_type(), " '", nname, "'");
    if (!np.domain().empty() && np.domain() != "ai.onnx") {
      fail(ErrorKind::kUnsupported, "unsupported: ", where, " (opset ", g.opset,
           "): operator domain '", np.domain(), "'");
    }
    if (np.op_type() == "Constant") return add_constant(np, where);
    const OpSchema* schema = find_op_schema(np.op_type());
    if (!schema) {
      fail(ErrorKind::kUnsupported, "unsupported: ", where, " (opset ", g.opset, "): operator '",
           np.op_type(), "' is not implemented");
    }
    Node n;
    n.name = nname;
    n.op = np.op_type();
    for (const auto& i : np.input()) n.inputs.push_back(i.empty() ? -1 : lookup(i));
    add_outputs(np, where, n);
    check_input_count(*schema, where, n);
    for (const auto& a : np.attribute()) n.attrs[a.name()] = attribute_from_proto(a, where);
    check_inputs_produced(where, n);
    int k = static_cast<int>(g.nodes.size());
    for (int o : n.outputs) {
      if (o >= 0) g.values[static_cast<size_t>(o)].producer = k;
    }
    g.nodes.push_back(std::move(n));
  }

  void add_graph_output(const onnx::ValueInfoProto& o) {
    auto it = index.find(o.name());
    if (it == index.end())
      fail(ErrorKind::kBadModel, origin, ": output '", o.name(), "' is produced by nothing");
    g.outputs.push_back(it->second);
  }
};

Graph graph_from_model(const onnx::ModelProto& model, const std::string& origin) {
  Graph g;
  g.opset = default_opset(model, origin);
  for (const auto& m : model.metadata_props()) g.metadata[m.key()] = m.value();
  const onnx::GraphProto& gp = model.graph();
  g.name = gp.name();
  GraphBuilder b{g, origin, {}};
  for (const auto& init : gp.initializer()) b.add_initializer(init);
  for (const auto& input : gp.input()) b.add_input(input);
  int index_in_graph = 0;
  for (const auto& np : gp.node()) b.add_node(np, index_in_graph++);
  for (const auto& o : gp.output()) b.add_graph_output(o);
  if (g.outputs.empty()) fail(ErrorKind::kBadModel, origin, ": the graph has no outputs");
  return g;
}

}  // namespace

Graph load_onnx_bytes(const std::string& bytes, const std::string& origin) {
  onnx::ModelProto model;
  if (bytes.empty()) fail(ErrorKind::kBadModel, origin, ": the file is empty");
  if (!model.ParseFromString(bytes)) {
    fail(ErrorKind::kBadModel, origin,
         ": not a valid ONNX model (protobuf parsing failed; truncated or not ONNX)");
  }
  if (!model.has_graph() || model.graph().node_size() == 0) {
    fail(ErrorKind::kBadModel, origin, ": not a valid ONNX model (no graph or no nodes)");
  }
  return graph_from_model(model, origin);
}

Graph load_onnx_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    fail(ErrorKind::kNotFound, "model '", path, "': cannot open (", std::strerror(errno), ")");
  std::ostringstream ss;
  ss << f.rdbuf();
  return load_onnx_bytes(ss.str(), cat("model '", path, "'"));
}

Tensor load_tensor_proto_file(const std::string& path, std::string* name) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(ErrorKind::kNotFound, "tensor file '", path, "': cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  onnx::TensorProto p;
  if (!p.ParseFromString(ss.str()))
    fail(ErrorKind::kBadModel, "tensor file '", path, "': not a TensorProto");
  if (name) *name = p.name();
  return tensor_from_proto(p, cat("tensor file '", path, "'"));
}

}  // namespace ys
