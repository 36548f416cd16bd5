// Launchers for our own CUDA kernels. They take plain sizes and pointers so the host code that
// builds kernels stays ordinary C++; every launcher checks the launch and throws on failure.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ys::cuda {

// Element types our kernels handle.
enum class Elem : int { kF32, kF16 };

// Throws ys::Error naming `what` unless `status` is cudaSuccess.
void check(cudaError_t status, const char* what);
// Throws ErrorKind::kUnsupported with `message`.
[[noreturn]] void unsupported(const char* message);

constexpr int kMaxRank = 6;
constexpr int kMaxParts = 8;

enum class UnaryOp : int { kIdentity, kSigmoid, kSiLU, kRelu };
enum class BinaryOp : int { kAdd, kSub, kMul, kDiv, kMax, kMin };

// dst = cast(src), converting NCHW <-> NHWC where the two layouts differ; n, c, h, w are the
// logical sizes (a non-4-D tensor passes n = elements, c = h = w = 1).
void launch_cast(const void* src, Elem src_elem, bool src_nhwc, void* dst, Elem dst_elem,
                 bool dst_nhwc, int64_t n, int64_t c, int64_t h, int64_t w, cudaStream_t s);

// y = act(y + bias[i % channels]) in place; bias may be null.
void launch_bias_act(void* y, Elem e, const void* bias, int64_t count, int64_t channels,
                     UnaryOp act, cudaStream_t s);

// Deterministic values in [-1, 1): test data for checking a fused kernel against the plain path.
void launch_fill(void* y, Elem e, int64_t count, uint32_t seed, cudaStream_t s);

void launch_unary(const void* x, void* y, Elem e, int64_t count, UnaryOp op, cudaStream_t s);

// Broadcasting binary op over `rank` output dims; a stride of 0 repeats an operand.
struct BinaryShape {
  int rank = 0;
  int64_t out[kMaxRank] = {};
  int64_t sa[kMaxRank] = {};
  int64_t sb[kMaxRank] = {};
};
void launch_binary(const void* a, const void* b, void* y, Elem e, BinaryOp op,
                   const BinaryShape& shape, int64_t count, bool same_shape, cudaStream_t s);

// Concatenation / split along an axis with `outer` rows before it and `inner` elements after it.
struct Parts {
  int count = 0;
  void* ptr[kMaxParts] = {};
  int64_t len[kMaxParts] = {};  // extent along the axis
};
void launch_concat(const Parts& inputs, void* dst, int64_t outer, int64_t total, int64_t inner,
                   size_t elem_bytes, cudaStream_t s);
// A null output pointer in launch_split skips that part.
void launch_split(const void* src, const Parts& outputs, int64_t outer, int64_t total,
                  int64_t inner, size_t elem_bytes, cudaStream_t s);

// y[i] = x[offset + sum_d idx_d(i) * stride[d]]: Transpose and Slice.
struct Gather {
  int rank = 0;
  int64_t out[kMaxRank] = {};
  int64_t stride[kMaxRank] = {};
  int64_t offset = 0;
};
void launch_gather(const void* x, void* y, const Gather& g, int64_t count, size_t elem_bytes,
                   cudaStream_t s);

struct PoolShape {
  int64_t n, h, w, c, oh, ow;
  int kh, kw, sh, sw, ph, pw, dh, dw;
};
void launch_maxpool_nhwc(const void* x, void* y, Elem e, const PoolShape& p, cudaStream_t s);

// Nearest resize of a 4-D tensor in its physical order; maps[d] (device, int32) gives the source
// index along physical axis d for each output index. last_is_copy says the innermost axis maps
// onto itself (the channels of an NHWC upsample), so it can move in wide words.
struct ResizeShape {
  int64_t in[4];
  int64_t out[4];
  const int32_t* maps[4];
  bool last_is_copy = false;
};
void launch_resize_nearest(const void* x, void* y, const ResizeShape& r, size_t elem_bytes,
                           cudaStream_t s);

void launch_softmax(const void* x, void* y, Elem e, int64_t outer, int64_t len, int64_t inner,
                    cudaStream_t s);

}  // namespace ys::cuda
