// y = act(conv(x, w) + b) as one cuDNN operation graph, built on the raw backend (graph) API of
// cuDNN 9.0 and later. The legacy cudnnConvolutionBiasActivationForward rejects SWISH, which left
// every SiLU conv with a separate bias+SiLU kernel: one launch more and one more pass over the
// output. cuDNN's generic runtime-fusion engines take conv fprop followed by a DAG of pointwise
// ops (bias add with a [1,K,1,1] tensor, then SWISH_FWD), NHWC packed, and compile a kernel for it
// with NVRTC when its execution plan is finalized. Nothing here throws for "not supported": a shape
// no engine takes yields nullptr (or no candidates) and the reason, so the caller keeps its
// unfused path. Rounding differs from the unfused path, so the caller should still compare a fused
// run against it before trusting a plan.
#pragma once

#include <cudnn.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ys::cuda {

// Logical NCHW sizes; every tensor is NHWC (filter KRSC) and packed in memory.
struct FusedConvShape {
  int64_t n = 1, c = 0, h = 0, w = 0;  // input
  int64_t k = 0, r = 1, s = 1;         // filter [K, C/groups, R, S]
  int64_t out_h = 0, out_w = 0;
  int64_t pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1, groups = 1;
  bool half = false;      // FP16 data with FP32 compute; else FP32 data, FP32 compute, no TF32
  bool silu = true;       // bias add then SiLU; false: bias add only
  bool residual = false;  // then add a tensor of y's shape (a bottleneck's shortcut)
};

// Owns one cuDNN backend descriptor (cudnnBackendDestroyDescriptor on release).
struct BackendDescDeleter {
  void operator()(void* d) const;
};
using BackendDesc = std::unique_ptr<void, BackendDescDeleter>;

struct FusedConvGraph;  // the operation graph and its parts, shared by one call's candidates

// One finalized execution plan for the fused graph. Owns every backend descriptor it needs; plans
// from one candidates() call share their operation graph.
class FusedConv {
 public:
  // The first plan cuDNN's heuristics rank highest that finalizes within workspace_limit bytes,
  // or nullptr with the reason in *why_not (when given).
  static std::unique_ptr<FusedConv> create(cudnnHandle_t handle, const FusedConvShape& shape,
                                           size_t workspace_limit, std::string* why_not);

  // Up to max_count plans that finalize within workspace_limit, in heuristic order (mode A, then
  // the fallback list), for the caller to time. Each runtime-compiled one costs an NVRTC compile
  // here, so keep max_count small. Empty, with the reason in *why_not, where none does.
  static std::vector<std::unique_ptr<FusedConv>> candidates(cudnnHandle_t handle,
                                                            const FusedConvShape& shape,
                                                            size_t workspace_limit, int max_count,
                                                            std::string* why_not,
                                                            int* finalized = nullptr);

  // The plan of cuDNN's engine `engine_index` (a global index candidates() reported) for the
  // graph, finalized alone: what a start-up cache that kept only the winner's index rebuilds,
  // one compile instead of a candidate list's. nullptr with the reason where it does not finalize.
  static std::unique_ptr<FusedConv> for_engine(cudnnHandle_t handle, const FusedConvShape& shape,
                                               size_t workspace_limit, int64_t engine_index,
                                               std::string* why_not);

  // A plan serialize() wrote, finalized from its JSON on `handle`: cuDNN restores a
  // runtime-compiled engine's kernel from it without generating or compiling it again. The
  // plan must come from the same graph on an identical GPU, driver and cuDNN (the caller's cache
  // key ensures that). `name` and `engine_index` are what engine_name() and engine_index() then
  // say. nullptr with the reason where cuDNN refuses it or its workspace is over the limit.
  static std::unique_ptr<FusedConv> from_json(cudnnHandle_t handle, const std::string& json,
                                              const FusedConvShape& shape, size_t workspace_limit,
                                              const std::string& name, int64_t engine_index,
                                              std::string* why_not);

  ~FusedConv();
  FusedConv(const FusedConv&) = delete;
  FusedConv& operator=(const FusedConv&) = delete;

  size_t workspace_bytes() const { return workspace_bytes_; }
  // "cudnn:fused_conv_bias_silu:eng<id>" ("fused_conv_bias" without SiLU; "_sigmul" where SiLU
  // had to be spelled sigmoid(v) * v; "_residual" with the shortcut added), id being cuDNN's
  // global engine index.
  std::string engine_name() const;
  int64_t engine_index() const { return engine_index_; }
  bool runtime_compiled() const { return runtime_compiled_; }
  // The finalized plan as cuDNN's JSON (CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION), or empty
  // where cuDNN does not serialize this engine (its docs promise only runtime-fusion engines).
  std::string serialize() const;

  // Enqueues on the handle's stream. The variant pack is built and destroyed per call (a few host
  // allocations), so pointers may change between calls; workspace may be null when
  // workspace_bytes() is 0. Returns cuDNN's status rather than throwing.
  cudnnStatus_t execute(cudnnHandle_t handle, const void* x, const void* w, const void* b, void* y,
                        void* workspace, const void* residual = nullptr) const;

 private:
  FusedConv() = default;
  static std::vector<std::unique_ptr<FusedConv>> find(cudnnHandle_t handle,
                                                      const FusedConvShape& shape,
                                                      size_t workspace_limit, int max_count,
                                                      int64_t only_engine, std::string* why_not,
                                                      int* finalized);

  std::shared_ptr<const FusedConvGraph> graph_;
  BackendDesc config_, plan_;
  size_t workspace_bytes_ = 0;
  int64_t engine_index_ = -1;
  bool runtime_compiled_ = false;
  bool residual_ = false;
  std::string name_;
  std::string json_;  // what from_json() was given, handed back by serialize()
};

}  // namespace ys::cuda
