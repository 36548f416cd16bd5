#include <cuda_fp16.h>

#include <type_traits>

#include "backends/cuda/cuda_kernels.h"

namespace ys::cuda {
namespace {

constexpr int kThreads = 256;

// Grid-stride loops with a grid capped well above what fills an H100, so huge tensors do not
// need 64-bit grid dimensions.
unsigned blocks_for(int64_t count) {
  const int64_t b = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535 * 8 ? (b > 0 ? b : 1) : 65535 * 8);
}

void check_launch(const char* what) {
  check(cudaGetLastError(), what);
}

#define YS_GRID_LOOP(i, count)                                                               \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (count); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

__device__ __forceinline__ float load(const float* p, int64_t i) {
  return p[i];
}
__device__ __forceinline__ float load(const __half* p, int64_t i) {
  return __half2float(p[i]);
}
__device__ __forceinline__ void store(float* p, int64_t i, float v) {
  p[i] = v;
}
__device__ __forceinline__ void store(__half* p, int64_t i, float v) {
  p[i] = __float2half(v);
}

__device__ __forceinline__ float apply(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::kSigmoid:
      return 1.f / (1.f + __expf(-x));
    case UnaryOp::kSiLU:
      return x / (1.f + __expf(-x));
    case UnaryOp::kRelu:
      return x > 0.f ? x : 0.f;
    default:
      return x;
  }
}

__device__ __forceinline__ float apply(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:
      return a / b;
    case BinaryOp::kMax:
      return fmaxf(a, b);
    default:
      return fminf(a, b);
  }
}

template <typename S, typename D, typename I>
__global__ void cast_kernel(const S* src, bool src_nhwc, D* dst, bool dst_nhwc, I n, I c, I h,
                            I w) {
  const I count = n * c * h * w;
  for (I i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    I j = i;
    if (src_nhwc != dst_nhwc) {
      if (dst_nhwc) {  // i walks NHWC, j is the NCHW index
        const I ci = i % c, wi = (i / c) % w, hi = (i / (c * w)) % h, ni = i / (c * w * h);
        j = ((ni * c + ci) * h + hi) * w + wi;
      } else {
        const I wi = i % w, hi = (i / w) % h, ci = (i / (w * h)) % c, ni = i / (w * h * c);
        j = ((ni * h + hi) * w + wi) * c + ci;
      }
    }
    store(dst, i, load(src, j));
  }
}

// The same for FP16 to FP16 (the detection head's NHWC -> NCHW before its reshapes), on a 64x64
// tile with each thread moving pairs of halves: 128-byte rows on both sides, where the float tile
// read and wrote 64-byte ones and reached a third of the H100's bandwidth.
constexpr int kHalfTile = 64, kHalfTileRows = 8;
__global__ void transpose_half_kernel(const __half* src, __half* dst, uint32_t rows,
                                      uint32_t cols) {
  __shared__ __half tile[kHalfTile][kHalfTile + 2];
  const size_t base = static_cast<size_t>(blockIdx.z) * rows * cols;
  const uint32_t r0 = blockIdx.y * kHalfTile, c0 = blockIdx.x * kHalfTile, t = 2 * threadIdx.x;
  for (uint32_t k = threadIdx.y; k < kHalfTile; k += kHalfTileRows) {
    const uint32_t r = r0 + k, c = c0 + t;
    if (r >= rows) continue;
    const __half* row = src + base + size_t{r} * cols;
    if (cols % 2 == 0 && c + 1 < cols) {
      const __half2 v = *reinterpret_cast<const __half2*>(row + c);
      tile[k][t] = __low2half(v);
      tile[k][t + 1] = __high2half(v);
    } else {
      if (c < cols) tile[k][t] = row[c];
      if (c + 1 < cols) tile[k][t + 1] = row[c + 1];
    }
  }
  __syncthreads();
  for (uint32_t k = threadIdx.y; k < kHalfTile; k += kHalfTileRows) {
    const uint32_t c = c0 + k, r = r0 + t;
    if (c >= cols) continue;
    __half* row = dst + base + size_t{c} * rows;
    if (rows % 2 == 0 && r + 1 < rows) {
      *reinterpret_cast<__half2*>(row + r) = __halves2half2(tile[t][k], tile[t + 1][k]);
    } else {
      if (r < rows) row[r] = tile[t][k];
      if (r + 1 < rows) row[r + 1] = tile[t + 1][k];
    }
  }
}

// NCHW -> NHWC for a few channels (the model input's three): a thread per pixel reads one value
// from each plane and writes the pixel's channels side by side, so both sides stream.
template <typename S, typename D>
__global__ void planes_to_pixels_kernel(const S* src, D* dst, uint32_t pixels, uint32_t c,
                                        uint32_t n) {
  const uint32_t count = n * pixels;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const uint32_t b = i / pixels, p = i % pixels;
    for (uint32_t k = 0; k < c; ++k) store(dst, i * c + k, load(src, (b * c + k) * pixels + p));
  }
}

// NCHW <-> NHWC as a batched transpose of [rows, cols] matrices (NCHW -> NHWC: rows = C,
// cols = H * W; back: the other way round) through a shared-memory tile, so that both the reads
// and the writes are coalesced. The element-wise kernel above reads one side with a stride of C,
// which at C = 144 fetched a 32-byte sector per element.
constexpr int kTile = 32, kTileRows = 8;
template <typename S, typename D>
__global__ void transpose_cast_kernel(const S* src, D* dst, uint32_t rows, uint32_t cols) {
  __shared__ float tile[kTile][kTile + 1];
  const size_t base = static_cast<size_t>(blockIdx.z) * rows * cols;
  const uint32_t r0 = blockIdx.y * kTile, c0 = blockIdx.x * kTile;
  for (int k = threadIdx.y; k < kTile; k += kTileRows) {
    const uint32_t r = r0 + k, c = c0 + threadIdx.x;
    if (r < rows && c < cols) tile[k][threadIdx.x] = load(src, base + size_t{r} * cols + c);
  }
  __syncthreads();
  for (int k = threadIdx.y; k < kTile; k += kTileRows) {
    const uint32_t c = c0 + k, r = r0 + threadIdx.x;
    if (r < rows && c < cols) store(dst, base + size_t{c} * rows + r, tile[threadIdx.x][k]);
  }
}

template <typename T>
__global__ void bias_act_kernel(T* y, const T* bias, int64_t count, int64_t channels, UnaryOp act) {
  YS_GRID_LOOP(i, count) {
    float v = load(y, i);
    if (bias) v += load(bias, i % channels);
    store(y, i, apply(act, v));
  }
}

// Two FP16 channels per thread: most YOLO layers have even channel counts, and the epilogue is a
// pure pass over memory.
__global__ void bias_act_half2_kernel(__half2* y, const __half2* bias, int64_t count2,
                                      int64_t channels2, UnaryOp act) {
  YS_GRID_LOOP(i, count2) {
    float2 v = __half22float2(y[i]);
    if (bias) {
      const float2 b = __half22float2(bias[i % channels2]);
      v.x += b.x;
      v.y += b.y;
    }
    y[i] = __floats2half2_rn(apply(act, v.x), apply(act, v.y));
  }
}

template <typename T>
__global__ void fill_kernel(T* y, int64_t count, uint32_t seed) {
  YS_GRID_LOOP(i, count) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ seed;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    store(y, i, static_cast<float>(h & 0xffff) / 32768.f - 1.f);
  }
}

template <typename T>
__global__ void unary_kernel(const T* x, T* y, int64_t count, UnaryOp op) {
  YS_GRID_LOOP(i, count) store(y, i, apply(op, load(x, i)));
}

// Eight FP16 values per thread in 16-byte accesses, for the element-wise passes over the
// detection head's outputs (Sigmoid, and the FP16 -> FP32 cast of the model's output).
__global__ void unary_half8_kernel(const uint4* x, uint4* y, uint32_t count8, UnaryOp op) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < count8;
       i += gridDim.x * blockDim.x) {
    uint4 v = x[i];
    __half* h = reinterpret_cast<__half*>(&v);
    for (int k = 0; k < 8; ++k) h[k] = __float2half(apply(op, __half2float(h[k])));
    y[i] = v;
  }
}

__global__ void half8_to_float_kernel(const uint4* x, float4* y, uint32_t count8) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < count8;
       i += gridDim.x * blockDim.x) {
    const uint4 v = x[i];
    const __half* h = reinterpret_cast<const __half*>(&v);
    y[2 * i] =
        make_float4(__half2float(h[0]), __half2float(h[1]), __half2float(h[2]), __half2float(h[3]));
    y[2 * i + 1] =
        make_float4(__half2float(h[4]), __half2float(h[5]), __half2float(h[6]), __half2float(h[7]));
  }
}

template <typename T>
__global__ void binary_same_kernel(const T* a, const T* b, T* y, int64_t count, BinaryOp op,
                                   bool a_scalar, bool b_scalar) {
  YS_GRID_LOOP(i, count) {
    store(y, i, apply(op, load(a, a_scalar ? 0 : i), load(b, b_scalar ? 0 : i)));
  }
}

template <typename T>
__global__ void binary_bcast_kernel(const T* a, const T* b, T* y, int64_t count, BinaryOp op,
                                    BinaryShape shape) {
  YS_GRID_LOOP(i, count) {
    int64_t r = i, ia = 0, ib = 0;
    for (int d = shape.rank - 1; d >= 0; --d) {
      const int64_t k = r % shape.out[d];
      r /= shape.out[d];
      ia += k * shape.sa[d];
      ib += k * shape.sb[d];
    }
    store(y, i, apply(op, load(a, ia), load(b, ib)));
  }
}

// 32-bit index arithmetic wherever the tensor allows it: 64-bit division is several times slower.
template <typename T, typename I>
__global__ void concat_kernel(Parts in, T* dst, I outer, I total, I inner) {
  const I count = outer * total * inner;
  for (I i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const I ii = i % inner, a = (i / inner) % total, o = i / (inner * total);
    I start = 0;
    int p = 0;
    while (p + 1 < in.count && a >= start + static_cast<I>(in.len[p]))
      start += static_cast<I>(in.len[p++]);
    const I len = static_cast<I>(in.len[p]);
    dst[i] = static_cast<const T*>(in.ptr[p])[(o * len + (a - start)) * inner + ii];
  }
}

template <typename T, typename I>
__global__ void split_kernel(const T* src, Parts out, I outer, I total, I inner) {
  const I count = outer * total * inner;
  for (I i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const I ii = i % inner, a = (i / inner) % total, o = i / (inner * total);
    I start = 0;
    int p = 0;
    while (p + 1 < out.count && a >= start + static_cast<I>(out.len[p]))
      start += static_cast<I>(out.len[p++]);
    if (!out.ptr[p]) continue;  // an output nobody reads
    const I len = static_cast<I>(out.len[p]);
    static_cast<T*>(out.ptr[p])[(o * len + (a - start)) * inner + ii] = src[i];
  }
}

// Eight FP16 channels per thread in one 16-byte access, for channel counts divisible by 8.
__global__ void bias_act_half8_kernel(uint4* y, const uint4* bias, uint32_t count8,
                                      uint32_t channels8, UnaryOp act) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < count8;
       i += gridDim.x * blockDim.x) {
    uint4 v = y[i];
    __half2* h = reinterpret_cast<__half2*>(&v);
    uint4 b = bias ? bias[i % channels8] : make_uint4(0, 0, 0, 0);
    const __half2* hb = reinterpret_cast<const __half2*>(&b);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      float2 f = __half22float2(h[k]);
      const float2 fb = __half22float2(hb[k]);
      h[k] = __floats2half2_rn(apply(act, f.x + fb.x), apply(act, f.y + fb.y));
    }
    y[i] = v;
  }
}

template <typename T, typename I>
__global__ void gather_kernel(const T* x, T* y, Gather g, I count) {
  for (I i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    I r = i, j = static_cast<I>(g.offset);
    for (int d = g.rank - 1; d >= 0; --d) {
      const I extent = static_cast<I>(g.out[d]);
      j += (r % extent) * static_cast<I>(g.stride[d]);
      r /= extent;
    }
    y[i] = x[j];
  }
}

template <typename T>
__global__ void maxpool_nhwc_kernel(const T* x, T* y, PoolShape p) {
  const int64_t count = p.n * p.oh * p.ow * p.c;
  YS_GRID_LOOP(i, count) {
    const int64_t c = i % p.c, ow = (i / p.c) % p.ow, oh = (i / (p.c * p.ow)) % p.oh,
                  n = i / (p.c * p.ow * p.oh);
    float m = -INFINITY;
    for (int ky = 0; ky < p.kh; ++ky) {
      const int64_t ih = oh * p.sh - p.ph + ky * p.dh;
      if (ih < 0 || ih >= p.h) continue;
      for (int kx = 0; kx < p.kw; ++kx) {
        const int64_t iw = ow * p.sw - p.pw + kx * p.dw;
        if (iw < 0 || iw >= p.w) continue;
        m = fmaxf(m, load(x, ((n * p.h + ih) * p.w + iw) * p.c + c));
      }
    }
    store(y, i, m);
  }
}

// Eight FP16 channels per thread with 16-byte loads and paired max: the pool's 25 taps per output
// were 25 two-byte loads per channel.
__global__ void maxpool_nhwc_half8_kernel(const uint4* x, uint4* y, PoolShape p, uint32_t c8) {
  const uint32_t count = static_cast<uint32_t>(p.n * p.oh * p.ow) * c8;
  const uint32_t h = static_cast<uint32_t>(p.h), w = static_cast<uint32_t>(p.w);
  const uint32_t oh = static_cast<uint32_t>(p.oh), ow = static_cast<uint32_t>(p.ow);
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const uint32_t c = i % c8, ox = (i / c8) % ow, oy = (i / (c8 * ow)) % oh,
                   n = i / (c8 * ow * oh);
    const __half2 lowest = __halves2half2(__ushort_as_half(0xfc00), __ushort_as_half(0xfc00));
    __half2 m[4] = {lowest, lowest, lowest, lowest};
    for (int ky = 0; ky < p.kh; ++ky) {
      const int iy = static_cast<int>(oy) * p.sh - p.ph + ky * p.dh;
      if (iy < 0 || iy >= static_cast<int>(h)) continue;
      for (int kx = 0; kx < p.kw; ++kx) {
        const int ix = static_cast<int>(ox) * p.sw - p.pw + kx * p.dw;
        if (ix < 0 || ix >= static_cast<int>(w)) continue;
        const uint4 v =
            x[((n * h + static_cast<uint32_t>(iy)) * w + static_cast<uint32_t>(ix)) * c8 + c];
        const __half2* hv = reinterpret_cast<const __half2*>(&v);
        for (int k = 0; k < 4; ++k) m[k] = __hmax2(m[k], hv[k]);
      }
    }
    y[i] = *reinterpret_cast<const uint4*>(m);
  }
}

template <typename T, typename I>
__global__ void resize_kernel(const T* x, T* y, ResizeShape r, I last_in, I last_out) {
  const I o1 = static_cast<I>(r.out[1]), o2 = static_cast<I>(r.out[2]);
  const I i1 = static_cast<I>(r.in[1]), i2 = static_cast<I>(r.in[2]);
  const I count = static_cast<I>(r.out[0]) * o1 * o2 * last_out;
  for (I i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const I d3 = i % last_out, d2 = (i / last_out) % o2, d1 = (i / (last_out * o2)) % o1,
            d0 = i / (last_out * o2 * o1);
    // The innermost axis is copied as it is when the caller says so (channels of NHWC, possibly
    // in 16-byte groups); otherwise it goes through its map like the others.
    const I s3 = r.last_is_copy ? d3 : static_cast<I>(r.maps[3][d3]);
    const I j = ((static_cast<I>(r.maps[0][d0]) * i1 + static_cast<I>(r.maps[1][d1])) * i2 +
                 static_cast<I>(r.maps[2][d2])) *
                    last_in +
                s3;
    y[i] = x[j];
  }
}

template <typename T>
__global__ void softmax_kernel(const T* x, T* y, int64_t outer, int64_t len, int64_t inner) {
  YS_GRID_LOOP(i, outer * inner) {
    const int64_t base = (i / inner) * len * inner + i % inner;
    float m = -INFINITY;
    for (int64_t k = 0; k < len; ++k) m = fmaxf(m, load(x, base + k * inner));
    float sum = 0.f;
    for (int64_t k = 0; k < len; ++k) sum += __expf(load(x, base + k * inner) - m);
    const float inv = 1.f / sum;
    for (int64_t k = 0; k < len; ++k)
      store(y, base + k * inner, __expf(load(x, base + k * inner) - m) * inv);
  }
}

template <typename F>
void by_elem(Elem e, F&& f) {
  if (e == Elem::kF16)
    f(static_cast<__half*>(nullptr));
  else
    f(static_cast<float*>(nullptr));
}

template <typename F>
void by_size(size_t bytes, F&& f) {
  switch (bytes) {
    case 1:
      return f(static_cast<uint8_t*>(nullptr));
    case 2:
      return f(static_cast<uint16_t*>(nullptr));
    case 4:
      return f(static_cast<uint32_t*>(nullptr));
    case 8:
      return f(static_cast<uint64_t*>(nullptr));
    case 16:
      return f(static_cast<uint4*>(nullptr));
    default:
      unsupported("cuda: no data-movement kernel for this element size");
  }
}

// Copies whole 16-byte groups when every part's contiguous run allows it.
size_t widen(Parts& parts, int64_t& total, int64_t& inner, size_t elem_bytes) {
  const int64_t f = static_cast<int64_t>(16 / elem_bytes);
  if (elem_bytes >= 16 || 16 % elem_bytes != 0) return elem_bytes;
  if (inner % f == 0) {
    inner /= f;
    return 16;
  }
  if (inner != 1 || total % f != 0) return elem_bytes;
  for (int p = 0; p < parts.count; ++p) {
    if (parts.len[p] % f != 0) return elem_bytes;
  }
  for (int p = 0; p < parts.count; ++p) parts.len[p] /= f;
  total /= f;
  return 16;
}

bool fits32(int64_t count) {
  return count < (int64_t{1} << 31);
}

}  // namespace

void launch_cast(const void* src, Elem src_elem, bool src_nhwc, void* dst, Elem dst_elem,
                 bool dst_nhwc, int64_t n, int64_t c, int64_t h, int64_t w, cudaStream_t s) {
  const int64_t count = n * c * h * w;
  const bool transpose = src_nhwc != dst_nhwc;
  // Tiles pay where both matrix sides are wide; a few input channels go pixel by pixel.
  const int64_t rows = dst_nhwc ? c : h * w, cols = dst_nhwc ? h * w : c;
  const uintptr_t align = reinterpret_cast<uintptr_t>(src) | reinterpret_cast<uintptr_t>(dst);
  if (!transpose && src_elem == Elem::kF16 && dst_elem == Elem::kF32 && count % 8 == 0 &&
      align % 16 == 0 && fits32(count)) {
    half8_to_float_kernel<<<blocks_for(count / 8), kThreads, 0, s>>>(
        static_cast<const uint4*>(src), static_cast<float4*>(dst),
        static_cast<uint32_t>(count / 8));
    check_launch("cast kernel");
    return;
  }
  const bool tiled =
      transpose && c >= 8 && fits32(count) && n <= 65535 && (rows + kTile - 1) / kTile <= 65535;
  by_elem(src_elem, [&](auto* sp) {
    using S = std::remove_pointer_t<decltype(sp)>;
    by_elem(dst_elem, [&](auto* dp) {
      using D = std::remove_pointer_t<decltype(dp)>;
      if (transpose && dst_nhwc && c <= 4 && fits32(count)) {
        planes_to_pixels_kernel<<<blocks_for(n * h * w), kThreads, 0, s>>>(
            static_cast<const S*>(src), static_cast<D*>(dst), static_cast<uint32_t>(h * w),
            static_cast<uint32_t>(c), static_cast<uint32_t>(n));
      } else if (tiled && std::is_same_v<S, __half> && std::is_same_v<D, __half> &&
                 (rows + kHalfTile - 1) / kHalfTile <= 65535) {
        const dim3 grid(static_cast<unsigned>((cols + kHalfTile - 1) / kHalfTile),
                        static_cast<unsigned>((rows + kHalfTile - 1) / kHalfTile),
                        static_cast<unsigned>(n));
        transpose_half_kernel<<<grid, dim3(kHalfTile / 2, kHalfTileRows), 0, s>>>(
            reinterpret_cast<const __half*>(src), reinterpret_cast<__half*>(dst),
            static_cast<uint32_t>(rows), static_cast<uint32_t>(cols));
      } else if (tiled) {
        const dim3 grid(static_cast<unsigned>((cols + kTile - 1) / kTile),
                        static_cast<unsigned>((rows + kTile - 1) / kTile),
                        static_cast<unsigned>(n));
        transpose_cast_kernel<<<grid, dim3(kTile, kTileRows), 0, s>>>(
            static_cast<const S*>(src), static_cast<D*>(dst), static_cast<uint32_t>(rows),
            static_cast<uint32_t>(cols));
      } else if (fits32(count)) {
        cast_kernel<S, D, uint32_t><<<blocks_for(count), kThreads, 0, s>>>(
            static_cast<const S*>(src), src_nhwc, static_cast<D*>(dst), dst_nhwc,
            static_cast<uint32_t>(n), static_cast<uint32_t>(c), static_cast<uint32_t>(h),
            static_cast<uint32_t>(w));
      } else {
        cast_kernel<S, D, int64_t><<<blocks_for(count), kThreads, 0, s>>>(
            static_cast<const S*>(src), src_nhwc, static_cast<D*>(dst), dst_nhwc, n, c, h, w);
      }
    });
  });
  check_launch("cast kernel");
}

void launch_bias_act(void* y, Elem e, const void* bias, int64_t count, int64_t channels,
                     UnaryOp act, cudaStream_t s) {
  const uintptr_t align = reinterpret_cast<uintptr_t>(y) | reinterpret_cast<uintptr_t>(bias);
  if (e == Elem::kF16 && channels % 8 == 0 && align % 16 == 0 && fits32(count)) {
    bias_act_half8_kernel<<<blocks_for(count / 8), kThreads, 0, s>>>(
        static_cast<uint4*>(y), static_cast<const uint4*>(bias), static_cast<uint32_t>(count / 8),
        static_cast<uint32_t>(channels / 8), act);
  } else if (e == Elem::kF16 && channels % 2 == 0) {
    bias_act_half2_kernel<<<blocks_for(count / 2), kThreads, 0, s>>>(
        static_cast<__half2*>(y), static_cast<const __half2*>(bias), count / 2, channels / 2, act);
  } else {
    by_elem(e, [&](auto* p) {
      using T = std::remove_pointer_t<decltype(p)>;
      bias_act_kernel<<<blocks_for(count), kThreads, 0, s>>>(
          static_cast<T*>(y), static_cast<const T*>(bias), count, channels, act);
    });
  }
  check_launch("bias/activation kernel");
}

void launch_fill(void* y, Elem e, int64_t count, uint32_t seed, cudaStream_t s) {
  by_elem(e, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    fill_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<T*>(y), count, seed);
  });
  check_launch("fill kernel");
}

void launch_unary(const void* x, void* y, Elem e, int64_t count, UnaryOp op, cudaStream_t s) {
  const uintptr_t align = reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y);
  if (e == Elem::kF16 && count % 8 == 0 && align % 16 == 0 && fits32(count)) {
    unary_half8_kernel<<<blocks_for(count / 8), kThreads, 0, s>>>(
        static_cast<const uint4*>(x), static_cast<uint4*>(y), static_cast<uint32_t>(count / 8), op);
    check_launch("unary kernel");
    return;
  }
  by_elem(e, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    unary_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<const T*>(x),
                                                        static_cast<T*>(y), count, op);
  });
  check_launch("unary kernel");
}

void launch_binary(const void* a, const void* b, void* y, Elem e, BinaryOp op,
                   const BinaryShape& shape, int64_t count, bool same_shape, cudaStream_t s) {
  by_elem(e, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    if (same_shape) {
      const bool a_scalar = shape.rank > 0 && shape.sa[shape.rank - 1] == 0;
      const bool b_scalar = shape.rank > 0 && shape.sb[shape.rank - 1] == 0;
      binary_same_kernel<<<blocks_for(count), kThreads, 0, s>>>(
          static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(y), count, op,
          a_scalar, b_scalar);
    } else {
      binary_bcast_kernel<<<blocks_for(count), kThreads, 0, s>>>(
          static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(y), count, op, shape);
    }
  });
  check_launch("binary kernel");
}

void launch_concat(const Parts& inputs, void* dst, int64_t outer, int64_t total, int64_t inner,
                   size_t elem_bytes, cudaStream_t s) {
  Parts parts = inputs;
  const size_t es = widen(parts, total, inner, elem_bytes);
  const int64_t count = outer * total * inner;
  by_size(es, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    if (fits32(count)) {
      concat_kernel<T, uint32_t><<<blocks_for(count), kThreads, 0, s>>>(
          parts, static_cast<T*>(dst), static_cast<uint32_t>(outer), static_cast<uint32_t>(total),
          static_cast<uint32_t>(inner));
    } else {
      concat_kernel<T, int64_t>
          <<<blocks_for(count), kThreads, 0, s>>>(parts, static_cast<T*>(dst), outer, total, inner);
    }
  });
  check_launch("concat kernel");
}

void launch_split(const void* src, const Parts& outputs, int64_t outer, int64_t total,
                  int64_t inner, size_t elem_bytes, cudaStream_t s) {
  Parts parts = outputs;
  const size_t es = widen(parts, total, inner, elem_bytes);
  const int64_t count = outer * total * inner;
  by_size(es, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    if (fits32(count)) {
      split_kernel<T, uint32_t><<<blocks_for(count), kThreads, 0, s>>>(
          static_cast<const T*>(src), parts, static_cast<uint32_t>(outer),
          static_cast<uint32_t>(total), static_cast<uint32_t>(inner));
    } else {
      split_kernel<T, int64_t><<<blocks_for(count), kThreads, 0, s>>>(static_cast<const T*>(src),
                                                                      parts, outer, total, inner);
    }
  });
  check_launch("split kernel");
}

void launch_gather(const void* x, void* y, const Gather& g, int64_t count, size_t elem_bytes,
                   cudaStream_t s) {
  // Where the innermost axis is contiguous on both sides, move it in wider words (up to 16
  // bytes): every other stride, the offset and both pointers must then be multiples of the word.
  Gather v = g;
  size_t es = elem_bytes;
  const uintptr_t align = reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y);
  while (es < 16 && v.rank > 0 && v.stride[v.rank - 1] == 1 && v.out[v.rank - 1] % 2 == 0 &&
         v.offset % 2 == 0 && align % (2 * es) == 0) {
    bool even = true;
    for (int d = 0; d + 1 < v.rank; ++d) even = even && v.stride[d] % 2 == 0;
    if (!even) break;
    for (int d = 0; d + 1 < v.rank; ++d) v.stride[d] /= 2;
    v.out[v.rank - 1] /= 2;
    v.offset /= 2;
    count /= 2;
    es *= 2;
  }
  int64_t extent = v.offset + 1;  // the furthest source element, for the index width
  for (int d = 0; d < v.rank; ++d) extent += (v.out[d] - 1) * v.stride[d];
  by_size(es, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    if (fits32(count) && fits32(extent)) {
      gather_kernel<T, uint32_t><<<blocks_for(count), kThreads, 0, s>>>(
          static_cast<const T*>(x), static_cast<T*>(y), v, static_cast<uint32_t>(count));
    } else {
      gather_kernel<T, int64_t><<<blocks_for(count), kThreads, 0, s>>>(
          static_cast<const T*>(x), static_cast<T*>(y), v, count);
    }
  });
  check_launch("gather kernel");
}

void launch_maxpool_nhwc(const void* x, void* y, Elem e, const PoolShape& p, cudaStream_t s) {
  const uintptr_t align = reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y);
  const int64_t count = p.n * p.oh * p.ow * p.c;
  if (e == Elem::kF16 && p.c % 8 == 0 && align % 16 == 0 && fits32(p.n * p.h * p.w * p.c) &&
      fits32(count)) {
    maxpool_nhwc_half8_kernel<<<blocks_for(count / 8), kThreads, 0, s>>>(
        static_cast<const uint4*>(x), static_cast<uint4*>(y), p, static_cast<uint32_t>(p.c / 8));
  } else {
    by_elem(e, [&](auto* t) {
      using T = std::remove_pointer_t<decltype(t)>;
      maxpool_nhwc_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<const T*>(x),
                                                                 static_cast<T*>(y), p);
    });
  }
  check_launch("maxpool kernel");
}

void launch_resize_nearest(const void* x, void* y, const ResizeShape& r, size_t elem_bytes,
                           cudaStream_t s) {
  // An innermost axis copied as it is moves in 16-byte groups where its rows allow.
  int64_t last_in = r.in[3], last_out = r.out[3];
  size_t es = elem_bytes;
  const uintptr_t align = reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y);
  if (r.last_is_copy && es < 16 && (last_in * static_cast<int64_t>(es)) % 16 == 0 &&
      align % 16 == 0) {
    last_in = last_out = last_in * static_cast<int64_t>(es) / 16;
    es = 16;
  }
  const int64_t count = r.out[0] * r.out[1] * r.out[2] * last_out;
  const int64_t in_count = r.in[0] * r.in[1] * r.in[2] * last_in;
  by_size(es, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    if (fits32(count) && fits32(in_count)) {
      resize_kernel<T, uint32_t><<<blocks_for(count), kThreads, 0, s>>>(
          static_cast<const T*>(x), static_cast<T*>(y), r, static_cast<uint32_t>(last_in),
          static_cast<uint32_t>(last_out));
    } else {
      resize_kernel<T, int64_t><<<blocks_for(count), kThreads, 0, s>>>(
          static_cast<const T*>(x), static_cast<T*>(y), r, last_in, last_out);
    }
  });
  check_launch("resize kernel");
}

void launch_softmax(const void* x, void* y, Elem e, int64_t outer, int64_t len, int64_t inner,
                    cudaStream_t s) {
  by_elem(e, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    softmax_kernel<<<blocks_for(outer * inner), kThreads, 0, s>>>(
        static_cast<const T*>(x), static_cast<T*>(y), outer, len, inner);
  });
  check_launch("softmax kernel");
}

}  // namespace ys::cuda
