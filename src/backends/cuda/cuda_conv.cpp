#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>

#include "backends/cuda/cuda_conv_fusion.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/cuda_ops.h"
#include "core/error.h"
#include "core/startup_timeline.h"
#include "model/op_schema.h"

namespace ys::cuda {
namespace {

class ConvKernel final : public CudaKernel {
 public:
  explicit ConvKernel(const KernelRequest& r) : CudaKernel(r.context, "cudnn") {
    const Node& n = r.node;
    const Value &in = r.input_value(0), &wv = r.input_value(1), &out = r.output_value(0);
    const std::string what = describe(n);
    if (in.shape.size() != 4 || !wv.is_constant() ||
        (r.graph.has_input(n, 2) && !r.input_value(2).is_constant())) {
      fail(ErrorKind::kUnsupported, what,
           ": the CUDA backend runs 2-D convolutions with constant "
           "weights");
    }
    YS_CHECK(in.layout == Layout::kNHWC && out.layout == Layout::kNHWC, what);
    elem_ = elem_of(out.dtype, what);
    const cudnnDataType_t dt = elem_ == Elem::kF16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    const int64_t groups = attr_int(n, "group", 1);
    const Shape& ws = wv.shape;  // [K, C/groups, R, S]
    const std::vector<int64_t> kernel = {ws[2], ws[3]};
    const std::vector<int64_t> strides = attr_ints(n, "strides", {1, 1});
    const std::vector<int64_t> dil = attr_ints(n, "dilations", {1, 1});
    const std::vector<int64_t> pads = conv_pads(n, in.shape, kernel, strides, dil);
    if (pads[0] != pads[2] || pads[1] != pads[3])
      fail(ErrorKind::kUnsupported, what, ": asymmetric padding");

    auto i = [](int64_t v) { return static_cast<int>(v); };
    cudnnTensorDescriptor_t xd = nullptr, yd = nullptr;
    check(cudnnCreateTensorDescriptor(&xd), "cudnnCreateTensorDescriptor");
    x_desc_.reset(xd);
    check(cudnnCreateTensorDescriptor(&yd), "cudnnCreateTensorDescriptor");
    y_desc_.reset(yd);
    check(cudnnSetTensor4dDescriptor(xd, CUDNN_TENSOR_NHWC, dt, i(in.shape[0]), i(in.shape[1]),
                                     i(in.shape[2]), i(in.shape[3])),
          "cudnnSetTensor4dDescriptor");
    check(cudnnSetTensor4dDescriptor(yd, CUDNN_TENSOR_NHWC, dt, i(out.shape[0]), i(out.shape[1]),
                                     i(out.shape[2]), i(out.shape[3])),
          "cudnnSetTensor4dDescriptor");
    cudnnFilterDescriptor_t fd = nullptr;
    check(cudnnCreateFilterDescriptor(&fd), "cudnnCreateFilterDescriptor");
    w_desc_.reset(fd);
    check(cudnnSetFilter4dDescriptor(fd, dt, CUDNN_TENSOR_NHWC, i(ws[0]), i(ws[1]), i(ws[2]),
                                     i(ws[3])),
          "cudnnSetFilter4dDescriptor");
    cudnnConvolutionDescriptor_t cd = nullptr;
    check(cudnnCreateConvolutionDescriptor(&cd), "cudnnCreateConvolutionDescriptor");
    conv_desc_.reset(cd);
    check(cudnnSetConvolution2dDescriptor(cd, i(pads[0]), i(pads[1]), i(strides[0]), i(strides[1]),
                                          i(dil[0]), i(dil[1]), CUDNN_CROSS_CORRELATION,
                                          CUDNN_DATA_FLOAT),
          "cudnnSetConvolution2dDescriptor");
    check(cudnnSetConvolutionGroupCount(cd, i(groups)), "cudnnSetConvolutionGroupCount");
    // FP32 stays on FMA math: TF32 tensor cores would miss the 1e-3 agreement with ONNX Runtime.
    const cudnnMathType_t math = elem_ == Elem::kF16 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
    check(cudnnSetConvolutionMathType(cd, math), "cudnnSetConvolutionMathType");

    // Weights KCRS -> KRSC, converted once.
    const Tensor& w = wv.data;
    const int64_t K = ws[0], C = ws[1], R = ws[2], S = ws[3];
    std::vector<float> krsc(static_cast<size_t>(K * C * R * S));
    {
      const StartupScope phase("weight_layout");
      // FP32 weights, the usual case, are read directly: element_as_double's call per element
      // cost about 4 ms of start-up over YOLOv8n's 3.2 M weights.
      const float* w32 = w.dtype() == DType::kFloat32 ? w.ptr<float>() : nullptr;
      for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t y = 0; y < R; ++y)
            for (int64_t x = 0; x < S; ++x) {
              const int64_t at = ((k * C + c) * R + y) * S + x;
              krsc[static_cast<size_t>(((k * R + y) * S + x) * C + c)] =
                  w32 ? w32[at] : static_cast<float>(element_as_double(w, at));
            }
    }
    w_ = upload(r, krsc);
    if (r.graph.has_input(n, 2)) {
      const Tensor& b = r.input_value(2).data;
      std::vector<float> bias(static_cast<size_t>(b.numel()));
      for (int64_t k = 0; k < b.numel(); ++k)
        bias[static_cast<size_t>(k)] = static_cast<float>(element_as_double(b, k));
      bias_ = upload(r, bias);
    }
    act_ = n.activation == Activation::kSiLU      ? UnaryOp::kSiLU
           : n.activation == Activation::kSigmoid ? UnaryOp::kSigmoid
                                                  : UnaryOp::kIdentity;
    x_ = r.inputs[0].data();
    if (r.graph.has_input(n, 3)) {  // a shortcut folded in by cuda_fuse_residual_adds
      const Value& rv = r.input_value(3);
      YS_CHECK(rv.shape == out.shape && rv.layout == out.layout && rv.dtype == out.dtype, what);
      residual_ = r.inputs[3].data();
    }
    y_ = r.outputs[0].data();
    count_ = numel(out.shape);
    channels_ = out.shape[1];
    FusedConvShape shape;
    shape.n = in.shape[0], shape.c = in.shape[1], shape.h = in.shape[2], shape.w = in.shape[3];
    shape.k = K, shape.r = R, shape.s = S, shape.out_h = out.shape[2], shape.out_w = out.shape[3];
    shape.pad_h = pads[0], shape.pad_w = pads[1], shape.stride_h = strides[0];
    shape.stride_w = strides[1], shape.dil_h = dil[0], shape.dil_w = dil[1], shape.groups = groups;
    shape.half = elem_ == Elem::kF16;
    shape.silu = act_ == UnaryOp::kSiLU;
    shape.residual = residual_ != nullptr;
    // Named by its output, which SSA makes unique where node names may repeat or be empty.
    std::string id = out.name;
    std::replace_if(
        id.begin(), id.end(), [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); },
        '_');
    ConvCache& cache = r.context->conv_cache;
    const ConvChoice* stored = cache.find(id);
    std::string why_not;
    bool took = false;
    if (stored) {
      const StartupScope phase("plan_restore");
      took = take_stored(*r.context, *stored, shape, &why_not);
    }
    if (took) {
      ++cache.taken;
    } else {
      if (stored) {
        ++cache.rebuilt;
        if (cache.rebuilt_why.empty()) cache.rebuilt_why = cat(id, ": ", why_not);
      }
      graph_fused_.reset();
      fused_ = false;
      check(cudnnSetConvolutionMathType(cd, math), "cudnnSetConvolutionMathType");
      {
        const StartupScope phase("algorithm_search");
        choose_algorithm(r, what, math);
      }
      const StartupScope phase("fusion_tuning");
      try_fusing(r, numel(in.shape), shape);
    }
    if (!id.empty()) cache.chosen[id] = choice();
  }

  void enqueue() override {
    const float one = 1.f, zero = 0.f;
    Context& c = ctx();
    if (graph_fused_) {
      check(graph_fused_->execute(c.cudnn.get(), x_, w_, bias_, y_,
                                  graph_fused_->workspace_bytes() ? c.cudnn_workspace() : nullptr,
                                  residual_),
            "cudnnBackendExecute (fused convolution)");
      return;
    }
    if (fused_) {
      check(cudnnConvolutionBiasActivationForward(
                c.cudnn.get(), &one, x_desc_.get(), x_, w_desc_.get(), w_, conv_desc_.get(),
                fused_algo_, fused_workspace_bytes_ ? c.cudnn_workspace() : nullptr,
                fused_workspace_bytes_, &zero, y_desc_.get(), y_, bias_desc_.get(), bias_,
                act_desc_.get(), y_desc_.get(), y_),
            "cudnnConvolutionBiasActivationForward");
      return;
    }
    check(cudnnConvolutionForward(c.cudnn.get(), &one, x_desc_.get(), x_, w_desc_.get(), w_,
                                  conv_desc_.get(), algo_, workspace_, workspace_bytes_, &zero,
                                  y_desc_.get(), y_),
          "cudnnConvolutionForward");
    if (bias_ || act_ != UnaryOp::kIdentity)
      launch_bias_act(y_, elem_, bias_, count_, channels_, act_, c.s());
    if (residual_) {
      BinaryShape flat;
      flat.rank = 1;
      flat.out[0] = count_;
      flat.sa[0] = flat.sb[0] = 1;
      launch_binary(y_, residual_, y_, elem_, BinaryOp::kAdd, flat, count_, true, c.s());
    }
  }

 private:
  const void* upload(const KernelRequest& r, const std::vector<float>& values) {
    if (elem_ == Elem::kF32) return r.context->upload(values.data(), values.size() * sizeof(float));
    std::vector<uint16_t> h(values.size());
    std::transform(values.begin(), values.end(), h.begin(), float_to_half);
    return r.context->upload(h.data(), h.size() * sizeof(uint16_t));
  }

  // What this convolution runs with, for the start-up cache.
  ConvChoice choice() const {
    ConvChoice c;
    c.algo = static_cast<int>(algo_);
    c.math = static_cast<int>(math_);
    c.workspace_bytes = workspace_bytes_;
    c.label = label_;
    if (graph_fused_) {
      c.fused_engine = graph_fused_->engine_index();
      // cuDNN serializes runtime-compiled plans only; the others finalize fast from the index.
      if (graph_fused_->runtime_compiled()) c.plan_json = graph_fused_->serialize();
    }
    if (fused_) c.legacy_fused_algo = static_cast<int>(fused_algo_);
    return c;
  }

  // Takes a stored choice: no algorithm search, no timing, and the fused plan from its JSON (no
  // NVRTC) or, where cuDNN refuses the JSON, that one engine finalized alone. False, with the
  // reason, where the choice no longer fits: the caller then works everything out as without it.
  bool take_stored(Context& c, const ConvChoice& s, const FusedConvShape& shape,
                   std::string* why_not) {
    if (s.algo < 0 || s.algo >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT ||
        s.workspace_bytes > c.workspace_limit) {
      *why_not = "stored algorithm out of range";
      return false;
    }
    algo_ = static_cast<cudnnConvolutionFwdAlgo_t>(s.algo);
    math_ = static_cast<cudnnMathType_t>(s.math);
    check(cudnnSetConvolutionMathType(conv_desc_.get(), math_), "cudnnSetConvolutionMathType");
    workspace_bytes_ = s.workspace_bytes;
    // Allocated here, as the search would have: never first inside a stream capture.
    void* ws = c.cudnn_workspace();
    workspace_ = workspace_bytes_ ? ws : nullptr;
    label_ = s.label;
    if (s.fused_engine >= 0) {
      std::string why;
      if (!s.plan_json.empty()) {
        graph_fused_ = FusedConv::from_json(c.cudnn.get(), s.plan_json, shape, c.workspace_limit,
                                            s.label, s.fused_engine, &why);
        if (graph_fused_) ++c.counters.plans_loaded;
      }
      if (!graph_fused_) {
        graph_fused_ =
            FusedConv::for_engine(c.cudnn.get(), shape, c.workspace_limit, s.fused_engine, why_not);
        if (!graph_fused_) return false;
        ++c.counters.plans_alone;
        // The choice stands; only the plan was rebuilt, so the file is written again.
        if (!s.plan_json.empty()) {
          ++c.conv_cache.plans_rebuilt;
          if (c.conv_cache.rebuilt_why.empty())
            c.conv_cache.rebuilt_why = cat("plan from JSON refused: ", why);
        }
      }
      label_ = graph_fused_->engine_name();
    } else if (s.legacy_fused_algo >= 0) {
      if (s.legacy_fused_algo >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT || !bias_) {
        *why_not = "stored fused algorithm out of range";
        return false;
      }
      make_fusion_descriptors();
      fused_algo_ = static_cast<cudnnConvolutionFwdAlgo_t>(s.legacy_fused_algo);
      if (cudnnGetConvolutionForwardWorkspaceSize(
              c.cudnn.get(), x_desc_.get(), w_desc_.get(), conv_desc_.get(), y_desc_.get(),
              fused_algo_, &fused_workspace_bytes_) != CUDNN_STATUS_SUCCESS ||
          fused_workspace_bytes_ > c.workspace_limit) {
        *why_not = "stored fused algorithm has no workspace size within the limit";
        return false;
      }
      fused_ = true;
    }
    return true;
  }

  // cuDNN times its candidates on our own buffers at creation (the arena is already allocated),
  // inside the one workspace; the fastest that keeps the requested math wins.
  void choose_algorithm(const KernelRequest& r, const std::string& what, cudnnMathType_t math) {
    Context& c = *r.context;
    void* ws = c.cudnn_workspace();
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int found = 0;
    check(cudnnFindConvolutionForwardAlgorithmEx(
              c.cudnn.get(), x_desc_.get(), x_, w_desc_.get(), w_, conv_desc_.get(), y_desc_.get(),
              y_, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &found, perf, ws, c.workspace_limit),
          "cudnnFindConvolutionForwardAlgorithmEx");
    check(cudaStreamSynchronize(c.s()), "cudnnFindConvolutionForwardAlgorithmEx");
    ++c.counters.algorithm_finds;
    // Find times each algorithm on its own, where the tensor-core ones, which run a few kernels
    // each, lose to single CUDA-core kernels at batch 1. Replayed from a CUDA Graph they win by
    // far (YOLOv8n FP16 batch 1 on an H200: 0.60 ms against 1.40 ms; eager they lose, 5.8 ms
    // against 2.3 ms), so with graphs FP16 takes the fastest tensor-core algorithm there is.
    const bool want_tensor_ops = math != CUDNN_FMA_MATH && c.graphs;
    for (int pass = want_tensor_ops ? 0 : 1; pass < 2; ++pass) {
      for (int k = 0; k < found; ++k) {
        if (pick(perf[k], math, pass == 0)) return;
      }
    }
    fail(ErrorKind::kUnsupported, what, ": cuDNN offers no algorithm within a ",
         c.workspace_limit >> 20, " MiB workspace");
  }

  // Takes `p` if it ran within the workspace and keeps the requested math (and, with
  // `tensor_ops_only`, runs on tensor cores).
  bool pick(const cudnnConvolutionFwdAlgoPerf_t& p, cudnnMathType_t math, bool tensor_ops_only) {
    Context& c = ctx();
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > c.workspace_limit) return false;
    const bool tensor_op =
        p.mathType == CUDNN_TENSOR_OP_MATH || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (math == CUDNN_FMA_MATH && tensor_op) return false;
    if (tensor_ops_only && !tensor_op) return false;
    algo_ = p.algo;
    math_ = math == CUDNN_FMA_MATH ? math : p.mathType;
    workspace_bytes_ = p.memory;
    workspace_ = p.memory ? c.cudnn_workspace() : nullptr;
    if (math != CUDNN_FMA_MATH) {
      check(cudnnSetConvolutionMathType(conv_desc_.get(), p.mathType),
            "cudnnSetConvolutionMathType");
    }
    label_ = "cudnn:conv:algo" + std::to_string(static_cast<int>(p.algo)) +
             (tensor_op ? ":tensor_op" : ":fma");
    return true;
  }

  // The first part of the output, as the host sees it: enough elements to cover every channel.
  std::vector<float> sample(Context& c) const {
    const int64_t n = std::min<int64_t>(count_, 1 << 20);
    std::vector<float> out(static_cast<size_t>(n));
    check(cudaStreamSynchronize(c.s()), "conv fusion check");
    if (elem_ == Elem::kF32) {
      check(cudaMemcpy(out.data(), y_, out.size() * sizeof(float), cudaMemcpyDeviceToHost),
            "conv fusion check");
      return out;
    }
    std::vector<uint16_t> h(out.size());
    check(cudaMemcpy(h.data(), y_, h.size() * sizeof(uint16_t), cudaMemcpyDeviceToHost),
          "conv fusion check");
    std::transform(h.begin(), h.end(), out.begin(), half_to_float);
    return out;
  }

  // Fusing bias and activation into the convolution saves a pass over the output and a launch.
  // cuDNN's operation graph (runtime fusion) comes first, as it is the one that takes SiLU; then
  // the legacy fused call, which takes only the identity on the cuDNN versions we meet. Each
  // candidate is run once here on generated data and kept only if it matches the unfused path.
  void try_fusing(const KernelRequest& r, int64_t x_count, const FusedConvShape& shape) {
    if (!bias_ || act_ == UnaryOp::kSigmoid) return;
    Context& c = *r.context;
    make_fusion_descriptors();
    launch_fill(x_, elem_, x_count, 0x5eed, c.s());
    // The shortcut too: whatever the arena held there might not even be finite.
    if (residual_) launch_fill(const_cast<void*>(residual_), elem_, count_, 0xfeed, c.s());
    enqueue();
    const std::vector<float> want = sample(c);
    double scale = 1.0;
    for (float v : want) scale = std::max(scale, std::fabs(static_cast<double>(v)));
    const double tol = (elem_ == Elem::kF16 ? 2e-2 : 1e-4) * scale;
    if (c.graph_fusion && elem_ == Elem::kF16 && try_graph_fusion(c, shape, want, tol)) return;
    // cuDNN's legacy fused call adds its z operand before the activation, not after.
    if (residual_) return;
    const float one = 1.f, zero = 0.f;
    const bool swish = act_ == UnaryOp::kSiLU;
    for (cudnnConvolutionFwdAlgo_t algo :
         {algo_, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM}) {
      size_t bytes = 0;
      if (cudnnGetConvolutionForwardWorkspaceSize(c.cudnn.get(), x_desc_.get(), w_desc_.get(),
                                                  conv_desc_.get(), y_desc_.get(), algo,
                                                  &bytes) != CUDNN_STATUS_SUCCESS ||
          bytes > c.workspace_limit)
        continue;
      launch_fill(y_, elem_, count_, 0xbad, c.s());
      const cudnnStatus_t st = cudnnConvolutionBiasActivationForward(
          c.cudnn.get(), &one, x_desc_.get(), x_, w_desc_.get(), w_, conv_desc_.get(), algo,
          bytes ? c.cudnn_workspace() : nullptr, bytes, &zero, y_desc_.get(), y_, bias_desc_.get(),
          bias_, act_desc_.get(), y_desc_.get(), y_);
      if (st != CUDNN_STATUS_SUCCESS || cudaStreamSynchronize(c.s()) != cudaSuccess) {
        (void)cudaGetLastError();
        continue;
      }
      if (!matches(sample(c), want, tol)) continue;
      fused_ = true;
      fused_algo_ = algo;
      fused_workspace_bytes_ = bytes;
      label_ = "cudnn:conv_bias_" + std::string(swish ? "swish" : "identity") + ":algo" +
               std::to_string(static_cast<int>(algo));
      return;
    }
  }

  // The bias and activation descriptors of the legacy fused call.
  void make_fusion_descriptors() {
    const cudnnDataType_t dt = elem_ == Elem::kF16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    cudnnActivationDescriptor_t ad = nullptr;
    check(cudnnCreateActivationDescriptor(&ad), "cudnnCreateActivationDescriptor");
    act_desc_.reset(ad);
    const bool swish = act_ == UnaryOp::kSiLU;
    check(
        cudnnSetActivationDescriptor(ad, swish ? CUDNN_ACTIVATION_SWISH : CUDNN_ACTIVATION_IDENTITY,
                                     CUDNN_NOT_PROPAGATE_NAN, 0.0),
        "cudnnSetActivationDescriptor");
    if (swish)
      check(cudnnSetActivationDescriptorSwishBeta(ad, 1.0),
            "cudnnSetActivationDescriptorSwishBeta");
    cudnnTensorDescriptor_t bd = nullptr;
    check(cudnnCreateTensorDescriptor(&bd), "cudnnCreateTensorDescriptor");
    bias_desc_.reset(bd);
    check(
        cudnnSetTensor4dDescriptor(bd, CUDNN_TENSOR_NHWC, dt, 1, static_cast<int>(channels_), 1, 1),
        "cudnnSetTensor4dDescriptor");
  }

  // cuDNN's fused engines for conv + bias (+ SiLU), each checked against the unfused output. With
  // one candidate, cuDNN's first choice is taken as it is; with more, each is timed on the device
  // beside the unfused convolution and its epilogue kernel, and the fastest wins (false if that
  // is the unfused one). Each runtime-compiled candidate costs an NVRTC compile here.
  bool try_graph_fusion(Context& c, const FusedConvShape& shape, const std::vector<float>& want,
                        double tol) {
    std::string why_not;
    std::vector<std::unique_ptr<FusedConv>> valid;
    for (std::unique_ptr<FusedConv>& f : FusedConv::candidates(
             c.cudnn.get(), shape, c.workspace_limit, std::max(2, c.fusion_candidates), &why_not,
             &c.counters.plans_built)) {
      launch_fill(y_, elem_, count_, 0xbad, c.s());
      if (f->execute(c.cudnn.get(), x_, w_, bias_, y_,
                     f->workspace_bytes() ? c.cudnn_workspace() : nullptr,
                     residual_) != CUDNN_STATUS_SUCCESS ||
          cudaStreamSynchronize(c.s()) != cudaSuccess) {
        (void)cudaGetLastError();
        continue;
      }
      if (!matches(sample(c), want, tol)) continue;
      valid.push_back(std::move(f));
      if (static_cast<int>(valid.size()) >= c.fusion_candidates) break;
    }
    if (valid.empty()) return false;
    size_t best = 0;
    if (c.fusion_candidates > 1) {
      ++c.counters.timings;
      double best_ms = device_ms(c, [&] { enqueue(); });  // unfused: graph_fused_ is not set yet
      best = valid.size();
      for (size_t k = 0; k < valid.size(); ++k) {
        const FusedConv& f = *valid[k];
        const double ms = device_ms(c, [&] {
          (void)f.execute(c.cudnn.get(), x_, w_, bias_, y_,
                          f.workspace_bytes() ? c.cudnn_workspace() : nullptr, residual_);
        });
        if (ms < best_ms) best_ms = ms, best = k;
      }
      if (best == valid.size()) return false;
    }
    label_ = valid[best]->engine_name();
    graph_fused_ = std::move(valid[best]);
    return true;
  }

  // Device time of one call of `run`, over a burst of calls after a warm-up: on the device clock,
  // so the host's launch cost, which a CUDA graph hides, does not count.
  static double device_ms(Context& c, const std::function<void()>& run) {
    cudaEvent_t raw[2] = {nullptr, nullptr};
    for (cudaEvent_t& e : raw) check(cudaEventCreate(&e), "cudaEventCreate");
    EventPtr begin(raw[0]), end(raw[1]);
    constexpr int kWarmup = 3, kRuns = 20;
    for (int i = 0; i < kWarmup; ++i) run();
    check(cudaEventRecord(begin.get(), c.s()), "cudaEventRecord");
    for (int i = 0; i < kRuns; ++i) run();
    check(cudaEventRecord(end.get(), c.s()), "cudaEventRecord");
    check(cudaEventSynchronize(end.get()), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, begin.get(), end.get()), "cudaEventElapsedTime");
    return ms / kRuns;
  }

  static bool matches(const std::vector<float>& got, const std::vector<float>& want, double tol) {
    for (size_t k = 0; k < got.size(); ++k)
      if (!std::isfinite(got[k]) || std::fabs(double(got[k]) - want[k]) > tol) return false;
    return got.size() == want.size();
  }

  std::unique_ptr<FusedConv> graph_fused_;  // conv + bias (+ SiLU) as one cuDNN operation graph
  TensorDescPtr x_desc_, y_desc_, bias_desc_;
  ActivationDescPtr act_desc_;
  bool fused_ = false;
  cudnnConvolutionFwdAlgo_t fused_algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  size_t fused_workspace_bytes_ = 0;
  FilterDescPtr w_desc_;
  ConvDescPtr conv_desc_;
  cudnnConvolutionFwdAlgo_t algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnMathType_t math_ = CUDNN_DEFAULT_MATH;  // what conv_desc_ runs algo_ with
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  Elem elem_ = Elem::kF32;
  const void* w_ = nullptr;
  const void* bias_ = nullptr;
  UnaryOp act_ = UnaryOp::kIdentity;
  const void* residual_ = nullptr;  // added after the activation (a folded shortcut Add)
  void* x_ = nullptr;
  void* y_ = nullptr;
  int64_t count_ = 0, channels_ = 0;
};

// Row-major Y[b] = A[b] x B[b] through cuBLAS's column-major GEMM: Y^T = B^T A^T.
class MatMulKernel final : public CudaKernel {
 public:
  explicit MatMulKernel(const KernelRequest& r) : CudaKernel(r.context, "cublas:gemm") {
    const Value &a = r.input_value(0), &b = r.input_value(1), &y = r.output_value(0);
    const std::string what = describe(r.node);
    if (a.shape.size() < 2 || b.shape.size() < 2)
      fail(ErrorKind::kUnsupported, what, ": MatMul with a 1-D operand");
    elem_ = elem_of(y.dtype, what);
    m_ = a.shape[a.shape.size() - 2];
    k_ = a.shape.back();
    n_ = b.shape.back();
    batch_ = numel(y.shape) / (m_ * n_);
    const int64_t a_batch = numel(a.shape) / (m_ * k_), b_batch = numel(b.shape) / (k_ * n_);
    if ((a_batch != batch_ && a_batch != 1) || (b_batch != batch_ && b_batch != 1))
      fail(ErrorKind::kUnsupported, what, ": MatMul broadcasting beyond a shared operand");
    stride_a_ = a_batch == 1 ? 0 : m_ * k_;
    stride_b_ = b_batch == 1 ? 0 : k_ * n_;
    a_ = device_operand(r, 0, elem_);
    b_ = device_operand(r, 1, elem_);
    y_ = r.outputs[0].data();
    r.context->cublas_handle();
  }

  void enqueue() override {
    const float one = 1.f, zero = 0.f;
    const cudaDataType_t dt = elem_ == Elem::kF16 ? CUDA_R_16F : CUDA_R_32F;
    auto i = [](int64_t v) { return static_cast<int>(v); };
    check(cublasGemmStridedBatchedEx(ctx().cublas.get(), CUBLAS_OP_N, CUBLAS_OP_N, i(n_), i(m_),
                                     i(k_), &one, b_, dt, i(n_), stride_b_, a_, dt, i(k_),
                                     stride_a_, &zero, y_, dt, i(n_), m_ * n_, i(batch_),
                                     CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "cublasGemmStridedBatchedEx");
  }

 private:
  Elem elem_ = Elem::kF32;
  int64_t m_ = 0, n_ = 0, k_ = 0, batch_ = 1, stride_a_ = 0, stride_b_ = 0;
  const void* a_ = nullptr;
  const void* b_ = nullptr;
  void* y_ = nullptr;
};

}  // namespace

std::unique_ptr<Kernel> make_conv_kernel(const KernelRequest& r) {
  return std::make_unique<ConvKernel>(r);
}

std::unique_ptr<Kernel> make_matmul_kernel(const KernelRequest& r) {
  return std::make_unique<MatMulKernel>(r);
}

}  // namespace ys::cuda
