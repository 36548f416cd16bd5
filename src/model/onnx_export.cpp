#include "model/onnx_export.h"

#include <onnx/onnx_pb.h>  // defines ONNX_API, then includes onnx-ml.pb.h

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"

namespace ys {
namespace {

int32_t onnx_dtype(DType t) {
  switch (t) {
    case DType::kFloat32:
      return onnx::TensorProto::FLOAT;
    case DType::kFloat16:
      return onnx::TensorProto::FLOAT16;
    case DType::kInt64:
      return onnx::TensorProto::INT64;
    case DType::kInt32:
      return onnx::TensorProto::INT32;
    case DType::kInt8:
      return onnx::TensorProto::INT8;
    case DType::kUInt8:
      return onnx::TensorProto::UINT8;
    case DType::kBool:
      return onnx::TensorProto::BOOL;
    case DType::kFloat64:
      return onnx::TensorProto::DOUBLE;
  }
  return onnx::TensorProto::UNDEFINED;
}

// ONNX's IR version that introduced each opset range, so older readers accept the file.
int64_t ir_version_for(int64_t opset) {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

void fill_tensor(onnx::TensorProto* p, const std::string& name, const Tensor& t) {
  p->set_name(name);
  p->set_data_type(onnx_dtype(t.dtype()));
  for (int64_t d : t.shape()) p->add_dims(d);
  // raw_data is little-endian by definition, which is this machine's order.
  p->set_raw_data(t.data(), t.nbytes());
}

void fill_value_info(onnx::ValueInfoProto* info, const std::string& name, DType dtype,
                     const Shape& shape) {
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx_dtype(dtype));
  if (shape.empty()) return;  // unknown until shape inference (or a scalar, which ONNX allows)
  auto* s = tensor->mutable_shape();
  for (size_t i = 0; i < shape.size(); ++i) {
    auto* d = s->add_dim();
    if (shape[i] >= 0)
      d->set_dim_value(shape[i]);
    else
      d->set_dim_param(cat(name, "_dim", i));
  }
}

void fill_attribute(onnx::AttributeProto* a, const std::string& name, const Attribute& v,
                    const std::string& where) {
  a->set_name(name);
  if (const auto* i = std::get_if<int64_t>(&v)) {
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*i);
  } else if (const auto* f = std::get_if<float>(&v)) {
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(*f);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(*s);
  } else if (const auto* is = std::get_if<std::vector<int64_t>>(&v)) {
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : *is) a->add_ints(x);
  } else if (const auto* fs = std::get_if<std::vector<float>>(&v)) {
    a->set_type(onnx::AttributeProto::FLOATS);
    for (float x : *fs) a->add_floats(x);
  } else if (const auto* t = std::get_if<Tensor>(&v)) {
    a->set_type(onnx::AttributeProto::TENSOR);
    fill_tensor(a->mutable_t(), "", *t);
  } else {
    fail(ErrorKind::kInternal, where, ": attribute '", name, "' holds an unknown kind");
  }
}

// Names must be unique in an ONNX graph; ours normally are, but fused activations need new ones
// and graphs built elsewhere may leave values unnamed.
class Names {
 public:
  std::string claim(const std::string& wanted) {
    std::string base = wanted.empty() ? "value" : wanted;
    std::string name = base;
    for (int k = 1; !used_.insert(name).second; ++k) name = cat(base, "_", k);
    return name;
  }

 private:
  std::set<std::string> used_;
};

std::string module_scope(const std::string& node_name) {
  const std::string conv = "/conv/Conv";
  if (node_name.size() > conv.size() &&
      node_name.compare(node_name.size() - conv.size(), conv.size(), conv) == 0) {
    return node_name.substr(0, node_name.size() - conv.size());
  }
  return node_name;
}

onnx::ModelProto build_model(const Graph& g, int64_t opset) {
  if (opset < 13 || opset > 22) {
    fail(ErrorKind::kInvalidArgument, "ONNX export: opset ", opset,
         " is outside 13..22, the range whose operator forms the graph holds");
  }
  onnx::ModelProto model;
  model.set_ir_version(ir_version_for(opset));
  model.set_producer_name("YoloScope");
  auto* op = model.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  for (const auto& [key, value] : g.metadata) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  onnx::GraphProto* gp = model.mutable_graph();
  gp->set_name(g.name.empty() ? "main_graph" : g.name);

  // Only values the graph still refers to get names: passes leave dead values behind (a fused
  // Conv's old output), and their names are free for the expanded activations.
  std::vector<bool> referenced(g.values.size(), false);
  for (int v : g.inputs) referenced[static_cast<size_t>(v)] = true;
  for (int v : g.outputs) referenced[static_cast<size_t>(v)] = true;
  for (const Node& n : g.nodes) {
    for (int v : n.inputs)
      if (v >= 0) referenced[static_cast<size_t>(v)] = true;
    for (int v : n.outputs)
      if (v >= 0) referenced[static_cast<size_t>(v)] = true;
  }
  Names names;
  std::vector<std::string> name_of(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i) {
    if (referenced[i]) name_of[i] = names.claim(g.values[i].name);
  }
  auto value = [&](int v) -> const Value& { return g.values[static_cast<size_t>(v)]; };

  std::vector<bool> is_input(g.values.size(), false), is_output(g.values.size(), false);
  for (int v : g.inputs) {
    is_input[static_cast<size_t>(v)] = true;
    fill_value_info(gp->add_input(), name_of[static_cast<size_t>(v)], value(v).dtype,
                    value(v).shape);
  }
  for (int v : g.outputs) is_output[static_cast<size_t>(v)] = true;

  std::vector<bool> written(g.values.size(), false);
  auto add_initializer = [&](int v) {
    const Value& val = value(v);
    if (written[static_cast<size_t>(v)]) return;
    written[static_cast<size_t>(v)] = true;
    if (val.layout != Layout::kPlain) {
      fail(ErrorKind::kUnsupported, "ONNX export: constant '", val.name,
           "' is stored in a backend's private layout; export the graph before a backend prepares "
           "it");
    }
    fill_tensor(gp->add_initializer(), name_of[static_cast<size_t>(v)], val.data);
  };
  auto add_value_info = [&](const std::string& name, DType dtype, const Shape& shape) {
    if (!shape.empty()) fill_value_info(gp->add_value_info(), name, dtype, shape);
  };

  for (const Node& n : g.nodes) {
    std::string where = cat("ONNX export: ", describe(n));
    if (!n.domain.empty())
      fail(ErrorKind::kUnsupported, where, ": operator domain '", n.domain, "'");
    onnx::NodeProto* np = gp->add_node();
    np->set_name(n.name);
    np->set_op_type(n.op);
    for (int v : n.inputs) {
      if (v < 0) {
        np->add_input("");
        continue;
      }
      if (value(v).is_constant())
        add_initializer(v);
      else if (value(v).producer < 0 && !is_input[static_cast<size_t>(v)]) {
        fail(ErrorKind::kBadModel, where, ": input '", value(v).name,
             "' is produced by no node, constant or graph input");
      }
      np->add_input(name_of[static_cast<size_t>(v)]);
    }
    for (const auto& [key, attr] : n.attrs) fill_attribute(np->add_attribute(), key, attr, where);

    if (n.activation == Activation::kNone) {
      for (int v : n.outputs) {
        np->add_output(v < 0 ? "" : name_of[static_cast<size_t>(v)]);
        if (v >= 0 && !is_output[static_cast<size_t>(v)]) {
          add_value_info(name_of[static_cast<size_t>(v)], value(v).dtype, value(v).shape);
        }
      }
      continue;
    }
    // The fused activation back as the nodes it came from: node -> Sigmoid (-> Mul for SiLU).
    YS_CHECK(n.outputs.size() == 1, describe(n), " has a fused activation and several outputs");
    const Value& out = value(n.outputs[0]);
    const std::string& out_name = name_of[static_cast<size_t>(n.outputs[0])];
    std::string scope = module_scope(n.name);
    std::string pre = names.claim(n.name + "_output_0");
    np->add_output(pre);
    add_value_info(pre, out.dtype, out.shape);
    onnx::NodeProto* sig = gp->add_node();
    sig->set_name(scope + "/act/Sigmoid");
    sig->set_op_type("Sigmoid");
    sig->add_input(pre);
    if (n.activation == Activation::kSigmoid) {
      sig->add_output(out_name);
    } else {
      std::string gate = names.claim(scope + "/act/Sigmoid_output_0");
      sig->add_output(gate);
      add_value_info(gate, out.dtype, out.shape);
      onnx::NodeProto* mul = gp->add_node();
      mul->set_name(scope + "/act/Mul");
      mul->set_op_type("Mul");
      mul->add_input(pre);
      mul->add_input(gate);
      mul->add_output(out_name);
    }
    if (!is_output[static_cast<size_t>(n.outputs[0])])
      add_value_info(out_name, out.dtype, out.shape);
  }
  for (int v : g.outputs) {
    if (value(v).is_constant()) add_initializer(v);
    fill_value_info(gp->add_output(), name_of[static_cast<size_t>(v)], value(v).dtype,
                    value(v).shape);
  }
  return model;
}

}  // namespace

std::string export_onnx_bytes(const Graph& g, int64_t opset) {
  onnx::ModelProto model = build_model(g, opset);
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    fail(ErrorKind::kUnsupported, "ONNX export: the model does not fit one protobuf message (",
         model.ByteSizeLong(), " bytes; the limit is 2 GiB)");
  }
  return bytes;
}

void export_onnx(const Graph& g, const std::string& path, int64_t opset) {
  write_file_atomic(path, export_onnx_bytes(g, opset), cat("cannot write ONNX model '", path, "'"));
}

}  // namespace ys
