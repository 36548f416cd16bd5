// The CUDA backend: cuDNN convolutions in NHWC (tensor cores in FP16) with bias and activation
// fused by cuDNN where it matches, else by one epilogue kernel of ours; cuBLAS for MatMul; our own
// kernels for data movement and the element-wise ops; all on one stream. prepare() stores 4-D
// activations as NHWC and, with `half`, every internal activation as FP16; graph inputs and
// outputs stay FP32 NCHW, converted by Cast nodes the pass inserts, and inputs stay intact across
// runs. Device memory is the planner's arena, one cuDNN workspace and one pool of weights, each
// allocated once. With `cuda_graph`, the second run of a plan captures the whole forward into a
// CUDA graph and every later run replays it; per-op observers then see the whole forward in the
// first op, so per-step times of a replay come from the device instead: span events (a second
// graph captured with them, replayed by timed runs only) and a DeviceObserver that sees each step
// while the forward is captured. prepare() keys the start-up cache (issue 19.3) by the graph it is
// given; the convolutions take what it holds, and finish_kernels() writes it after the last one.
#pragma once

#include <memory>
#include <string>

#include "model/graph.h"
#include "runtime/backend.h"

namespace ys {
namespace cuda {
struct Context;
}

struct CudaOptions {
  int device = 0;
  bool half = false;          // FP16 weights and activations, FP32 at the graph's boundary
  bool cuda_graph = true;     // capture the forward once per plan and replay it
  size_t workspace_mib = 64;  // cap on the one cuDNN workspace
  // FP16 conv + bias + SiLU as one cuDNN operation graph where an engine takes it; off leaves the
  // legacy fused call and our epilogue kernel. Each fused convolution is compiled (NVRTC) when
  // its kernel is created: YOLOv8n starts about 5 s later (15 s with a cold driver cache) and
  // runs 6% faster at batch 1 on an H200. FP32 never takes it: without TF32 cuDNN fused 6 of 64
  // convolutions there, for 16 s of compiling. The start-up cache (backends/cuda/plan_cache)
  // keeps the compiled plans so that only the first start of a model on a device pays that
  // (not yet measured on a GPU).
  bool graph_fusion = true;
  // How many of cuDNN's fused engines to consider per convolution. 1 takes cuDNN's first choice
  // untimed; more times each (and the unfused convolution) on the device and keeps the fastest.
  // Three took YOLOv8n FP16 on an H200 from 0.567 to 0.522 ms at batch 1 and from 6,958 to 7,287
  // images/s at batch 32, at no measurable cost in start-up.
  int fusion_candidates = 3;
};

// Throws ErrorKind::kUnsupported when there is no usable device.
std::shared_ptr<Backend> make_cuda_backend(const CudaOptions& options = {});

// The context (device, stream, library handles) behind a backend made by make_cuda_backend, for
// pipeline stages that run on the same stream; nullptr for any other backend.
std::shared_ptr<cuda::Context> cuda_context_of(Backend& backend);

// True when a CUDA device can be used; otherwise `why` says what the runtime reported.
bool cuda_device_available(std::string* why = nullptr);
// "NVIDIA H100 80GB HBM3 (sm_90, 79 GiB), cuDNN 9.14.0, CUDA runtime 13.0" or "" without one.
std::string cuda_device_description(int device = 0);

// Rewrites `graph` the way prepare() does: layouts, FP16 storage and the Cast nodes at boundaries.
// Needs no GPU, so it is tested everywhere.
void cuda_assign_formats(Graph& graph, bool half);

// Folds Add(x, Conv(...)) into the Conv as a fourth input (after a -1 placeholder where the Conv
// has no bias) where the Conv's output feeds only that Add, all three tensors share shape, layout
// and type, and x is ready before the Conv runs. prepare() applies it with FP16 graph fusion, where
// cuDNN adds the shortcut in the convolution's epilogue. Returns how many Adds went.
int cuda_fuse_residual_adds(Graph& graph);

// Where a Concat reads all of a Split's outputs in order along the Split's axis (a C2f block's
// first two parts), it reads the Split's input instead; the Split kernel then skips outputs that
// nobody reads. prepare() applies it always. Returns how many Splits' runs went.
int cuda_concat_split_sources(Graph& graph);

}  // namespace ys
