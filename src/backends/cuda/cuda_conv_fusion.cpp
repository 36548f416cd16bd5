#include "backends/cuda/cuda_conv_fusion.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace ys::cuda {

void BackendDescDeleter::operator()(void* d) const {
  if (d) (void)cudnnBackendDestroyDescriptor(d);
}

// Every descriptor the plans were built from, kept while any plan built from them lives, so
// nothing depends on whether a finalized plan still refers to its graph or heuristics.
struct FusedConvGraph {
  std::vector<BackendDesc> parts;  // tensors and operations
  BackendDesc graph;
  std::vector<BackendDesc> heuristics;
};

FusedConv::~FusedConv() = default;

namespace {

// Tensor UIDs, which the variant pack names the device pointers by.
constexpr int64_t kX = 1, kW = 2, kB = 3, kY = 4, kConvOut = 5, kBiasOut = 6, kSigmoidOut = 7,
                  kResidual = 8, kActOut = 9;
// Arena slices are 256-byte aligned and weights and biases come from cudaMalloc. The generic
// runtime-fusion engines want 128-bit aligned mainloop inputs on support surface 90.
constexpr int64_t kAlignment = 16;

enum class Act { kNone, kSwish, kSigmoidMul };

// Stringizes the attribute for failure messages.
#define YS_ATTR(name) name, #name

// Makes backend calls while remembering the first that failed; after it the rest do nothing, so
// a build reads as a straight list of calls and reports where it first went wrong.
class Calls {
 public:
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  bool check(cudnnStatus_t status, const std::string& call) {
    if (!ok() || status == CUDNN_STATUS_SUCCESS) return ok();
    char detail[512] = {};
    cudnnGetLastErrorString(detail, sizeof(detail));
    error_ = call + " failed: " + cudnnGetErrorString(status);
    if (detail[0]) error_ += std::string(" (") + detail + ")";
    return false;
  }

  BackendDesc create(cudnnBackendDescriptorType_t type, const char* what) {
    if (!ok()) return nullptr;
    cudnnBackendDescriptor_t raw = nullptr;
    const cudnnStatus_t status = cudnnBackendCreateDescriptor(type, &raw);
    BackendDesc d(raw);
    check(status, std::string("cudnnBackendCreateDescriptor(") + what + ")");
    return d;
  }

  void set(void* d, const char* what, cudnnBackendAttributeName_t name, const char* name_text,
           cudnnBackendAttributeType_t type, int64_t count, const void* values) {
    if (!ok()) return;
    check(cudnnBackendSetAttribute(d, name, type, count, values),
          std::string("cudnnBackendSetAttribute(") + what + ", " + name_text + ")");
  }

  // Returns how many elements cuDNN has (at most `capacity` of them land in `values`).
  int64_t get(void* d, const char* what, cudnnBackendAttributeName_t name, const char* name_text,
              cudnnBackendAttributeType_t type, int64_t capacity, void* values) {
    int64_t count = 0;
    if (!ok()) return 0;
    check(cudnnBackendGetAttribute(d, name, type, capacity, &count, values),
          std::string("cudnnBackendGetAttribute(") + what + ", " + name_text + ")");
    return count;
  }

  void finalize(void* d, const char* what) {
    if (!ok()) return;
    check(cudnnBackendFinalize(d), std::string("cudnnBackendFinalize(") + what + ")");
  }

 private:
  std::string error_;
};

// Dims in NCHW order over an NHWC packed layout (a filter's KRSC is the same with K, C/g, R, S).
std::array<int64_t, 4> nhwc_strides(int64_t c, int64_t h, int64_t w) {
  return {h * w * c, 1, w * c, c};
}

// Builds the descriptors of one fused graph into a FusedConvGraph, which keeps them.
class GraphBuilder {
 public:
  GraphBuilder(FusedConvGraph* g, Calls* calls) : g_(g), c_(*calls) {}

  void* tensor(const char* what, int64_t uid, cudnnDataType_t type,
               const std::array<int64_t, 4>& dims, const std::array<int64_t, 4>& strides,
               bool is_virtual) {
    BackendDesc t = c_.create(CUDNN_BACKEND_TENSOR_DESCRIPTOR, what);
    c_.set(t.get(), what, YS_ATTR(CUDNN_ATTR_TENSOR_DATA_TYPE), CUDNN_TYPE_DATA_TYPE, 1, &type);
    c_.set(t.get(), what, YS_ATTR(CUDNN_ATTR_TENSOR_DIMENSIONS), CUDNN_TYPE_INT64, 4, dims.data());
    c_.set(t.get(), what, YS_ATTR(CUDNN_ATTR_TENSOR_STRIDES), CUDNN_TYPE_INT64, 4, strides.data());
    c_.set(t.get(), what, YS_ATTR(CUDNN_ATTR_TENSOR_UNIQUE_ID), CUDNN_TYPE_INT64, 1, &uid);
    c_.set(t.get(), what, YS_ATTR(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT), CUDNN_TYPE_INT64, 1,
           &kAlignment);
    c_.set(t.get(), what, YS_ATTR(CUDNN_ATTR_TENSOR_IS_VIRTUAL), CUDNN_TYPE_BOOLEAN, 1,
           &is_virtual);
    c_.finalize(t.get(), what);
    return keep(std::move(t));
  }

  void* conv(const FusedConvShape& s, void* x, void* w, void* y) {
    BackendDesc cd = c_.create(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR, "conv");
    // FP32 accumulation for FP16 data too, as the unfused path's cuDNN convolution does.
    const cudnnDataType_t compute = CUDNN_DATA_FLOAT;
    const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
    const int64_t spatial = 2;
    const int64_t pads[2] = {s.pad_h, s.pad_w}, dil[2] = {s.dil_h, s.dil_w},
                  strides[2] = {s.stride_h, s.stride_w};
    c_.set(cd.get(), "conv", YS_ATTR(CUDNN_ATTR_CONVOLUTION_COMP_TYPE), CUDNN_TYPE_DATA_TYPE, 1,
           &compute);
    c_.set(cd.get(), "conv", YS_ATTR(CUDNN_ATTR_CONVOLUTION_CONV_MODE), CUDNN_TYPE_CONVOLUTION_MODE,
           1, &mode);
    c_.set(cd.get(), "conv", YS_ATTR(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS), CUDNN_TYPE_INT64, 1,
           &spatial);
    c_.set(cd.get(), "conv", YS_ATTR(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS), CUDNN_TYPE_INT64, 2,
           pads);
    c_.set(cd.get(), "conv", YS_ATTR(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS), CUDNN_TYPE_INT64, 2,
           pads);
    c_.set(cd.get(), "conv", YS_ATTR(CUDNN_ATTR_CONVOLUTION_DILATIONS), CUDNN_TYPE_INT64, 2, dil);
    c_.set(cd.get(), "conv", YS_ATTR(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES), CUDNN_TYPE_INT64, 2,
           strides);
    c_.finalize(cd.get(), "conv");
    void* conv_desc = keep(std::move(cd));

    BackendDesc op = c_.create(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR, "conv op");
    const float alpha = 1.f, beta = 0.f;
    c_.set(op.get(), "conv op", YS_ATTR(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X),
           CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    c_.set(op.get(), "conv op", YS_ATTR(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W),
           CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &w);
    c_.set(op.get(), "conv op", YS_ATTR(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y),
           CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    c_.set(op.get(), "conv op", YS_ATTR(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC),
           CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv_desc);
    c_.set(op.get(), "conv op", YS_ATTR(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA),
           CUDNN_TYPE_FLOAT, 1, &alpha);
    c_.set(op.get(), "conv op", YS_ATTR(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA),
           CUDNN_TYPE_FLOAT, 1, &beta);
    c_.finalize(op.get(), "conv op");
    return keep(std::move(op));
  }

  // y = mode(x) or mode(x, b). The runtime-fusion engines take only FP32 math for every mode
  // used here, and alpha1 = alpha2 = 1 (the defaults, left unset). A broadcast operand may not
  // be the first input, so the bias goes in as b.
  void* pointwise(const char* what, cudnnPointwiseMode_t mode, void* x, void* b, void* y) {
    BackendDesc pd = c_.create(CUDNN_BACKEND_POINTWISE_DESCRIPTOR, what);
    const cudnnDataType_t math = CUDNN_DATA_FLOAT;
    c_.set(pd.get(), what, YS_ATTR(CUDNN_ATTR_POINTWISE_MODE), CUDNN_TYPE_POINTWISE_MODE, 1, &mode);
    c_.set(pd.get(), what, YS_ATTR(CUDNN_ATTR_POINTWISE_MATH_PREC), CUDNN_TYPE_DATA_TYPE, 1, &math);
    if (mode == CUDNN_POINTWISE_SWISH_FWD) {
      const double beta = 1.0;  // SiLU is swish with beta 1
      c_.set(pd.get(), what, YS_ATTR(CUDNN_ATTR_POINTWISE_SWISH_BETA), CUDNN_TYPE_DOUBLE, 1, &beta);
    }
    c_.finalize(pd.get(), what);
    void* pw = keep(std::move(pd));

    BackendDesc op = c_.create(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR, what);
    c_.set(op.get(), what, YS_ATTR(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR),
           CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &pw);
    c_.set(op.get(), what, YS_ATTR(CUDNN_ATTR_OPERATION_POINTWISE_XDESC),
           CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    if (b) {
      c_.set(op.get(), what, YS_ATTR(CUDNN_ATTR_OPERATION_POINTWISE_BDESC),
             CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b);
    }
    c_.set(op.get(), what, YS_ATTR(CUDNN_ATTR_OPERATION_POINTWISE_YDESC),
           CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    c_.finalize(op.get(), what);
    return keep(std::move(op));
  }

 private:
  void* keep(BackendDesc d) {
    void* raw = d.get();
    if (raw) g_->parts.push_back(std::move(d));
    return raw;
  }

  FusedConvGraph* g_;
  Calls& c_;
};

// The finalized operation graph for conv -> +bias [-> SiLU], or nullptr with the failed call.
std::shared_ptr<FusedConvGraph> build_graph(cudnnHandle_t handle, const FusedConvShape& s, Act act,
                                            std::string* error) {
  auto g = std::make_shared<FusedConvGraph>();
  Calls c;
  GraphBuilder b(g.get(), &c);
  const cudnnDataType_t io = s.half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
  const int64_t cg = s.c / s.groups;
  const std::array<int64_t, 4> y_dims = {s.n, s.k, s.out_h, s.out_w};
  const std::array<int64_t, 4> y_strides = nhwc_strides(s.k, s.out_h, s.out_w);

  void* x = b.tensor("x", kX, io, {s.n, s.c, s.h, s.w}, nhwc_strides(s.c, s.h, s.w), false);
  void* w = b.tensor("w", kW, io, {s.k, cg, s.r, s.s}, nhwc_strides(cg, s.r, s.s), false);
  void* bias = b.tensor("b", kB, io, {1, s.k, 1, 1}, nhwc_strides(s.k, 1, 1), false);
  void* y = b.tensor("y", kY, io, y_dims, y_strides, false);
  // Intermediates stay FP32 (the docs recommend it; the code generator keeps the virtual type), so
  // FP16 rounds once, at the store of y, as the unfused bias+SiLU kernel's output does.
  void* conv_out = b.tensor("conv_out", kConvOut, CUDNN_DATA_FLOAT, y_dims, y_strides, true);
  // With a residual, the activation's result is one more FP32 intermediate and the last op adds
  // the residual tensor into y.
  void* act_y =
      s.residual ? b.tensor("act_out", kActOut, CUDNN_DATA_FLOAT, y_dims, y_strides, true) : y;
  void* bias_out = act == Act::kNone
                       ? act_y
                       : b.tensor("bias_out", kBiasOut, CUDNN_DATA_FLOAT, y_dims, y_strides, true);

  std::vector<void*> ops;
  ops.push_back(b.conv(s, x, w, conv_out));
  ops.push_back(b.pointwise("bias add", CUDNN_POINTWISE_ADD, conv_out, bias, bias_out));
  if (act == Act::kSwish) {
    ops.push_back(b.pointwise("swish", CUDNN_POINTWISE_SWISH_FWD, bias_out, nullptr, act_y));
  } else if (act == Act::kSigmoidMul) {
    void* sig = b.tensor("sigmoid_out", kSigmoidOut, CUDNN_DATA_FLOAT, y_dims, y_strides, true);
    ops.push_back(b.pointwise("sigmoid", CUDNN_POINTWISE_SIGMOID_FWD, bias_out, nullptr, sig));
    ops.push_back(b.pointwise("mul", CUDNN_POINTWISE_MUL, bias_out, sig, act_y));
  }
  if (s.residual) {
    void* res = b.tensor("residual", kResidual, io, y_dims, y_strides, false);
    ops.push_back(b.pointwise("residual add", CUDNN_POINTWISE_ADD, act_y, res, y));
  }

  g->graph = c.create(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, "operation graph");
  c.set(g->graph.get(), "operation graph", YS_ATTR(CUDNN_ATTR_OPERATIONGRAPH_OPS),
        CUDNN_TYPE_BACKEND_DESCRIPTOR, static_cast<int64_t>(ops.size()), ops.data());
  // Required through cuDNN 9.x's early releases, deprecated (still accepted) in later ones.
  c.set(g->graph.get(), "operation graph", YS_ATTR(CUDNN_ATTR_OPERATIONGRAPH_HANDLE),
        CUDNN_TYPE_HANDLE, 1, &handle);
  c.finalize(g->graph.get(), "operation graph");
  if (!c.ok()) {
    *error = c.error();
    return nullptr;
  }
  return g;
}

// The engine configs heuristics `mode` ranks for the graph, best first; the heuristics descriptor
// joins the graph's parts.
std::vector<BackendDesc> heuristic_configs(FusedConvGraph* g, cudnnBackendHeurMode_t mode,
                                           const char* what, std::string* error) {
  Calls c;
  BackendDesc heur = c.create(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR, what);
  void* graph = g->graph.get();
  c.set(heur.get(), what, YS_ATTR(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH),
        CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &graph);
  c.set(heur.get(), what, YS_ATTR(CUDNN_ATTR_ENGINEHEUR_MODE), CUDNN_TYPE_HEUR_MODE, 1, &mode);
  c.finalize(heur.get(), what);
  const int64_t count = c.get(heur.get(), what, YS_ATTR(CUDNN_ATTR_ENGINEHEUR_RESULTS),
                              CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, nullptr);
  std::vector<BackendDesc> configs;
  std::vector<cudnnBackendDescriptor_t> raw;
  for (int64_t i = 0; i < count && c.ok(); ++i) {
    configs.push_back(c.create(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, "engine config"));
    raw.push_back(configs.back().get());
  }
  const int64_t got = c.get(heur.get(), what, YS_ATTR(CUDNN_ATTR_ENGINEHEUR_RESULTS),
                            CUDNN_TYPE_BACKEND_DESCRIPTOR, count, raw.data());
  if (!c.ok()) {
    *error = c.error();
    return {};
  }
  if (got < count) configs.resize(static_cast<size_t>(got));
  g->heuristics.push_back(std::move(heur));
  return configs;
}

bool has(const std::vector<int>& notes, int note) {
  for (int n : notes) {
    if (n == note) return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<FusedConv> FusedConv::create(cudnnHandle_t handle, const FusedConvShape& shape,
                                             size_t workspace_limit, std::string* why_not) {
  std::vector<std::unique_ptr<FusedConv>> found =
      find(handle, shape, workspace_limit, 1, -1, why_not, nullptr);
  if (found.empty()) return nullptr;
  return std::move(found.front());
}

std::vector<std::unique_ptr<FusedConv>> FusedConv::candidates(cudnnHandle_t handle,
                                                              const FusedConvShape& shape,
                                                              size_t workspace_limit, int max_count,
                                                              std::string* why_not,
                                                              int* finalized) {
  return find(handle, shape, workspace_limit, max_count, -1, why_not, finalized);
}

std::unique_ptr<FusedConv> FusedConv::for_engine(cudnnHandle_t handle, const FusedConvShape& shape,
                                                 size_t workspace_limit, int64_t engine_index,
                                                 std::string* why_not) {
  std::vector<std::unique_ptr<FusedConv>> found =
      find(handle, shape, workspace_limit, 1, engine_index, why_not, nullptr);
  if (found.empty()) return nullptr;
  return std::move(found.front());
}

std::unique_ptr<FusedConv> FusedConv::from_json(cudnnHandle_t handle, const std::string& json,
                                                const FusedConvShape& shape, size_t workspace_limit,
                                                const std::string& name, int64_t engine_index,
                                                std::string* why_not) {
  Calls c;
  BackendDesc plan = c.create(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, "execution plan");
  // Deprecated in later 9.x releases but still accepted; without it early 9.x cannot deserialize.
  c.set(plan.get(), "execution plan", YS_ATTR(CUDNN_ATTR_EXECUTION_PLAN_HANDLE), CUDNN_TYPE_HANDLE,
        1, &handle);
  c.set(plan.get(), "execution plan", YS_ATTR(CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION),
        CUDNN_TYPE_CHAR, static_cast<int64_t>(json.size()), json.data());
  c.finalize(plan.get(), "execution plan (from JSON)");
  int64_t workspace = 0;
  c.get(plan.get(), "execution plan", YS_ATTR(CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE),
        CUDNN_TYPE_INT64, 1, &workspace);
  std::string why;
  if (!c.ok()) {
    why = c.error();
  } else if (workspace < 0 || static_cast<uint64_t>(workspace) > workspace_limit) {
    why = "workspace " + std::to_string(workspace) + " B over the limit of " +
          std::to_string(workspace_limit) + " B";
  }
  if (!why.empty()) {
    if (why_not) *why_not = why;
    return nullptr;
  }
  std::unique_ptr<FusedConv> f(new FusedConv());
  f->plan_ = std::move(plan);
  f->workspace_bytes_ = static_cast<size_t>(workspace);
  f->engine_index_ = engine_index;
  f->runtime_compiled_ = true;
  f->residual_ = shape.residual;
  f->name_ = name;
  f->json_ = json;
  return f;
}

std::string FusedConv::serialize() const {
  if (!json_.empty()) return json_;
  int64_t size = 0;
  if (cudnnBackendGetAttribute(plan_.get(), CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION,
                               CUDNN_TYPE_CHAR, 0, &size, nullptr) != CUDNN_STATUS_SUCCESS ||
      size <= 0)
    return {};
  std::string json(static_cast<size_t>(size), '\0');
  if (cudnnBackendGetAttribute(plan_.get(), CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION,
                               CUDNN_TYPE_CHAR, size, &size, json.data()) != CUDNN_STATUS_SUCCESS)
    return {};
  // Kept byte for byte, a terminating NUL included where cuDNN counts one: from_json hands cuDNN
  // exactly what it gave, as cuDNN's frontend does.
  json.resize(static_cast<size_t>(std::min<int64_t>(size, static_cast<int64_t>(json.size()))));
  return json;
}

std::vector<std::unique_ptr<FusedConv>> FusedConv::find(cudnnHandle_t handle,
                                                        const FusedConvShape& shape,
                                                        size_t workspace_limit, int max_count,
                                                        int64_t only_engine, std::string* why_not,
                                                        int* finalized) {
  std::vector<std::unique_ptr<FusedConv>> out;
  std::string reasons;
  auto note = [&](const std::string& reason) {
    // Enough to tell why, not every engine's story.
    if (reasons.size() > 1500) return;
    if (!reasons.empty()) reasons += "; ";
    reasons += reason;
  };
  auto give_up = [&](const std::string& reason) {
    if (why_not) *why_not = reason;
    return std::vector<std::unique_ptr<FusedConv>>{};
  };
  if (max_count <= 0) return give_up("no candidates asked for");
  // Grouped conv is in the generic engines' support surface (90 and 80), but the [1,K,1,1] bias
  // broadcast in the epilogue is not documented for it, and YOLOv8n has no grouped convs.
  if (shape.groups != 1) return give_up("grouped convolution (groups != 1)");
  if (shape.n <= 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0 || shape.k <= 0 ||
      shape.r <= 0 || shape.s <= 0 || shape.out_h <= 0 || shape.out_w <= 0)
    return give_up("empty tensor");

  // SWISH_FWD first; SiLU spelled sigmoid(v) * v is the same epilogue DAG to the runtime-fusion
  // engines, tried only where no engine takes the swish node.
  std::vector<std::pair<Act, const char*>> forms;
  if (shape.silu) {
    forms = {{Act::kSwish, "cudnn:fused_conv_bias_silu"},
             {Act::kSigmoidMul, "cudnn:fused_conv_bias_silu_sigmul"}};
  } else {
    forms = {{Act::kNone, "cudnn:fused_conv_bias"}};
  }

  for (const auto& [act, prefix] : forms) {
    std::string error;
    std::shared_ptr<FusedConvGraph> graph = build_graph(handle, shape, act, &error);
    if (!graph) {
      note(error);
      continue;
    }
    for (cudnnBackendHeurMode_t mode : {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
      if (static_cast<int>(out.size()) >= max_count) break;
      const char* mode_name = mode == CUDNN_HEUR_MODE_A ? "heuristics A" : "heuristics fallback";
      error.clear();
      std::vector<BackendDesc> configs = heuristic_configs(graph.get(), mode, mode_name, &error);
      if (configs.empty()) {
        note(error.empty() ? std::string(mode_name) + ": no engine config" : error);
        continue;
      }
      for (BackendDesc& config : configs) {
        if (static_cast<int>(out.size()) >= max_count) break;
        Calls c;
        BackendDesc engine = c.create(CUDNN_BACKEND_ENGINE_DESCRIPTOR, "engine");
        void* engine_raw = engine.get();
        c.get(config.get(), "engine config", YS_ATTR(CUDNN_ATTR_ENGINECFG_ENGINE),
              CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &engine_raw);
        int64_t index = -1;
        c.get(engine_raw, "engine", YS_ATTR(CUDNN_ATTR_ENGINE_GLOBAL_INDEX), CUDNN_TYPE_INT64, 1,
              &index);
        // Sized past the header's note counts, so a newer library's extra notes still fit.
        std::array<cudnnBackendNumericalNote_t, 32> numerical{};
        std::array<cudnnBackendBehaviorNote_t, 32> behavior{};
        const int64_t n_numerical =
            c.get(engine_raw, "engine", YS_ATTR(CUDNN_ATTR_ENGINE_NUMERICAL_NOTE),
                  CUDNN_TYPE_NUMERICAL_NOTE, numerical.size(), numerical.data());
        const int64_t n_behavior =
            c.get(engine_raw, "engine", YS_ATTR(CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE),
                  CUDNN_TYPE_BEHAVIOR_NOTE, behavior.size(), behavior.data());
        if (!c.ok()) {
          note(c.error());
          continue;
        }
        // The fallback list repeats engines mode A offered; one plan per engine is enough there.
        bool duplicate = false;
        for (const auto& f : out) duplicate = duplicate || f->engine_index_ == index;
        if (mode == CUDNN_HEUR_MODE_FALLBACK && duplicate) continue;
        if (only_engine >= 0 && index != only_engine) continue;
        const std::string eng = "eng" + std::to_string(index);
        std::vector<int> notes;
        for (int64_t i = 0; i < n_numerical && i < static_cast<int64_t>(numerical.size()); ++i)
          notes.push_back(static_cast<int>(numerical[static_cast<size_t>(i)]));
        // Checked before the plan is finalized, which is where runtime-fusion engines compile.
        // FP32 must stay off tensor cores (TF32 misses the 1e-3 agreement with ONNX Runtime), and
        // neither precision may narrow its inputs or accumulate below FP32.
        if (!shape.half && has(notes, CUDNN_NUMERICAL_NOTE_TENSOR_CORE)) {
          note(eng + ": tensor cores (TF32) on FP32 data");
          continue;
        }
        if (has(notes, CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS) ||
            has(notes, CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION)) {
          note(eng + ": reduced-precision inputs or accumulation");
          continue;
        }
        bool runtime_compiled = false;
        for (int64_t i = 0; i < n_behavior && i < static_cast<int64_t>(behavior.size()); ++i)
          runtime_compiled |=
              behavior[static_cast<size_t>(i)] == CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION;

        // A runtime-fusion engine generates and NVRTC-compiles its kernel inside this finalize.
        // The docs do not put a number on it, and with the 9.0 API finalizing is the only way to
        // learn whether a config works (9.2+ can check support without compiling; the kernel
        // cache, 9.4+, serves only dynamic-shape graphs). Measure model load with many convs.
        void* config_raw = config.get();
        BackendDesc plan = c.create(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, "execution plan");
        // Required through cuDNN 9.x's early releases, deprecated (still accepted) in later ones.
        c.set(plan.get(), "execution plan", YS_ATTR(CUDNN_ATTR_EXECUTION_PLAN_HANDLE),
              CUDNN_TYPE_HANDLE, 1, &handle);
        c.set(plan.get(), "execution plan", YS_ATTR(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG),
              CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &config_raw);
        c.finalize(plan.get(), "execution plan");
        if (finalized) ++*finalized;
        int64_t workspace = 0;
        c.get(plan.get(), "execution plan", YS_ATTR(CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE),
              CUDNN_TYPE_INT64, 1, &workspace);
        if (!c.ok()) {
          note(eng + ": " + c.error());
          continue;
        }
        if (workspace < 0 || static_cast<uint64_t>(workspace) > workspace_limit) {
          note(eng + ": workspace " + std::to_string(workspace) + " B over the limit of " +
               std::to_string(workspace_limit) + " B");
          continue;
        }
        std::unique_ptr<FusedConv> f(new FusedConv());
        f->graph_ = graph;
        f->config_ = std::move(config);
        f->plan_ = std::move(plan);
        f->workspace_bytes_ = static_cast<size_t>(workspace);
        f->engine_index_ = index;
        f->runtime_compiled_ = runtime_compiled;
        f->name_ = std::string(prefix) + (shape.residual ? "_residual:eng" : ":eng") +
                   std::to_string(index);
        f->residual_ = shape.residual;
        out.push_back(std::move(f));
      }
    }
    if (!out.empty()) break;
  }
  if (out.empty() && why_not) {
    *why_not = "no cuDNN engine runs conv+bias" + std::string(shape.silu ? "+SiLU" : "") +
               " as one graph: " + reasons;
  }
  return out;
}

std::string FusedConv::engine_name() const {
  return name_;
}

cudnnStatus_t FusedConv::execute(cudnnHandle_t handle, const void* x, const void* w, const void* b,
                                 void* y, void* workspace, const void* residual) const {
  cudnnBackendDescriptor_t raw = nullptr;
  cudnnStatus_t status = cudnnBackendCreateDescriptor(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, &raw);
  if (status != CUDNN_STATUS_SUCCESS) return status;
  const BackendDesc pack(raw);
  const int64_t uids[5] = {kX, kW, kB, kY, kResidual};
  // The API takes non-const pointers for inputs too; cuDNN only reads x, w, b and the residual.
  void* pointers[5] = {const_cast<void*>(x), const_cast<void*>(w), const_cast<void*>(b), y,
                       const_cast<void*>(residual)};
  const int64_t count = residual_ ? 5 : 4;
  status = cudnnBackendSetAttribute(raw, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64,
                                    count, uids);
  if (status == CUDNN_STATUS_SUCCESS) {
    status = cudnnBackendSetAttribute(raw, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS,
                                      CUDNN_TYPE_VOID_PTR, count, pointers);
  }
  if (status == CUDNN_STATUS_SUCCESS) {
    status = cudnnBackendSetAttribute(raw, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR,
                                      1, &workspace);
  }
  if (status == CUDNN_STATUS_SUCCESS) status = cudnnBackendFinalize(raw);
  if (status == CUDNN_STATUS_SUCCESS) status = cudnnBackendExecute(handle, plan_.get(), raw);
  return status;
}

#undef YS_ATTR

}  // namespace ys::cuda
