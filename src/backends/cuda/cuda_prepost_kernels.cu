#include <cub/device/device_segmented_radix_sort.cuh>

#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/cuda_prepost_kernels.h"

namespace ys::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kTile = 64;  // boxes per IoU tile: one bit each in a 64-bit mask word
constexpr uint8_t kPad = 114;
constexpr int kCoefScale = 1 << 11;

// The host pipeline is compiled without FMA contraction; nvcc contracts a * b + c by default,
// which rounds once instead of twice. Every float step that must match the host is therefore
// written with the _rn intrinsics, which are never contracted.
__device__ __forceinline__ float normalize(int v) {
  return __fdiv_rn(static_cast<float>(v), 255.f);
}

// std::min / std::max exactly, NaN cases included.
__device__ __forceinline__ float std_min(float a, float b) {
  return b < a ? b : a;
}
__device__ __forceinline__ float std_max(float a, float b) {
  return a < b ? b : a;
}

__device__ __forceinline__ int clamp_int(int v, int lo, int hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// resize_linear_builtin's arithmetic per output pixel: the horizontal pass of both source rows,
// then OpenCV's vertical pass (4 bits dropped before the 16-bit multiply-high, last 2 rounded).
__device__ __forceinline__ void resized_pixel(const uint8_t* img, const LetterboxJob& j,
                                              const ResizeTap& xt, const ResizeTap& yt,
                                              int out[3]) {
  const int r0 = clamp_int(yt.src, 0, j.src_height - 1);
  const int r1 = clamp_int(yt.src + 1, 0, j.src_height - 1);
  const uint8_t* p0 = img + (static_cast<int64_t>(r0) * j.src_width + xt.src) * 3;
  const uint8_t* p1 = img + (static_cast<int64_t>(r1) * j.src_width + xt.src) * 3;
  const bool edge = xt.src >= j.src_width - 1;
  const int b0 = yt.w0, b1 = yt.w1;
  for (int c = 0; c < 3; ++c) {
    const int s0 = edge ? p0[c] * kCoefScale : p0[c] * xt.w0 + p0[c + 3] * xt.w1;
    const int s1 = edge ? p1[c] * kCoefScale : p1[c] * xt.w0 + p1[c + 3] * xt.w1;
    const int v = (((b0 * (s0 >> 4)) >> 16) + ((b1 * (s1 >> 4)) >> 16) + 2) >> 2;
    out[c] = clamp_int(v, 0, 255);
  }
}

__global__ void letterbox_kernel(const uint8_t* upload, const LetterboxJob* jobs,
                                 const ResizeTap* taps, float* nchw, int width, int height) {
  const LetterboxJob j = jobs[blockIdx.y];
  const int64_t plane = static_cast<int64_t>(width) * height;
  float* out = nchw + blockIdx.y * 3 * plane;
  const uint8_t* img = upload + j.pixels;
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < plane;
       p += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int x = static_cast<int>(p % width), y = static_cast<int>(p / width);
    const int dx = x - j.pad_left, dy = y - j.pad_top;
    int bgr[3] = {kPad, kPad, kPad};
    if (dx >= 0 && dx < j.resized_width && dy >= 0 && dy < j.resized_height) {
      if (j.x_taps < 0) {
        const uint8_t* s = img + (static_cast<int64_t>(dy) * j.src_width + dx) * 3;
        bgr[0] = s[0], bgr[1] = s[1], bgr[2] = s[2];
      } else {
        resized_pixel(img, j, taps[j.x_taps + dx], taps[j.y_taps + dy], bgr);
      }
    }
    out[p] = normalize(bgr[2]);
    out[plane + p] = normalize(bgr[1]);
    out[2 * plane + p] = normalize(bgr[0]);
  }
}

// Ascending unsigned order of the result is descending score order; -0 counts as +0, as the
// host's `>` comparison does.
__device__ __forceinline__ uint64_t sort_key(float score, int anchor, int anchor_bits) {
  uint32_t u = __float_as_uint(score == 0.f ? 0.f : score);
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return (static_cast<uint64_t>(~u) << anchor_bits) | static_cast<uint64_t>(anchor);
}

__global__ void decode_kernel(DecodeArgs a) {
  const int anchor = blockIdx.x * blockDim.x + threadIdx.x;
  if (anchor >= a.anchors) return;
  const int b = blockIdx.y;
  const int64_t n = a.anchors;
  const float* p = a.pred + static_cast<int64_t>(b) * a.channels * n + anchor;
  // Strict > keeps the first class on ties, as the host's class-major scan and torch.max do.
  float best = p[4 * n];
  int cls = 0;
  for (int k = 1; k < a.channels - 4; ++k) {
    const float v = p[(4 + k) * n];
    if (v > best) best = v, cls = k;
  }
  if (!(best > a.conf)) return;
  if (a.allowed && !a.allowed[cls]) return;
  const float cx = p[0], cy = p[n];
  const float hw = __fdiv_rn(p[2 * n], 2.f), hh = __fdiv_rn(p[3 * n], 2.f);
  a.boxes[b * n + anchor] = {
      __fsub_rn(cx, hw), __fsub_rn(cy, hh), __fadd_rn(cx, hw), __fadd_rn(cy, hh), best, cls};
  const int slot = atomicAdd(a.ends + b, 1);
  a.keys[slot] = sort_key(best, anchor, a.anchor_bits);
}

struct OffsetBox {
  float x1, y1, x2, y2, area;
};

// greedy_nms's class-offset box and its area, in the same float steps.
__device__ __forceinline__ OffsetBox offset_box(const NmsArgs& a, const GpuDetection& d) {
  const float off = a.agnostic ? 0.f : __fmul_rn(static_cast<float>(d.cls), a.max_wh);
  OffsetBox o;
  o.x1 = __fadd_rn(d.x1, off);
  o.y1 = __fadd_rn(d.y1, off);
  o.x2 = __fadd_rn(d.x2, off);
  o.y2 = __fadd_rn(d.y2, off);
  o.area = __fmul_rn(__fsub_rn(o.x2, o.x1), __fsub_rn(o.y2, o.y1));
  return o;
}

__device__ __forceinline__ bool suppresses(const OffsetBox& i, const OffsetBox& j, double iou) {
  const float w = std_max(0.f, __fsub_rn(std_min(i.x2, j.x2), std_max(i.x1, j.x1)));
  const float h = std_max(0.f, __fsub_rn(std_min(i.y2, j.y2), std_max(i.y1, j.y1)));
  const float inter = __fmul_rn(w, h);
  if (inter == 0.f) return false;
  const float ovr = __fdiv_rn(inter, __fsub_rn(__fadd_rn(i.area, j.area), inter));
  return static_cast<double>(ovr) > iou;
}

__device__ __forceinline__ int nms_count(const NmsArgs& a, int b) {
  const int n = a.ends[b] - b * a.anchors;
  return n < a.max_nms ? n : a.max_nms;
}

__device__ __forceinline__ const GpuDetection& sorted_box(const NmsArgs& a, int b, int i) {
  const uint64_t key = a.sorted[static_cast<int64_t>(b) * a.anchors + i];
  const int anchor = static_cast<int>(key & ((uint64_t{1} << a.anchor_bits) - 1));
  return a.boxes[static_cast<int64_t>(b) * a.anchors + anchor];
}

// Bit j of mask[i][j / 64]: candidate i (in score order) suppresses candidate j > i. Each block
// walks the upper triangle of 64 x 64 tiles of its image, so the grid needs no candidate count
// from the host.
__global__ void __launch_bounds__(kTile) nms_mask_kernel(NmsArgs a) {
  const int b = blockIdx.y;
  const int n = nms_count(a, b);
  const int tiles = (n + kTile - 1) / kTile;
  __shared__ OffsetBox cols[kTile];
  uint64_t* mask = a.mask + static_cast<int64_t>(b) * a.rows * a.words;
  for (int t = blockIdx.x; t < tiles * tiles; t += gridDim.x) {
    const int row_tile = t / tiles, col_tile = t % tiles;
    if (col_tile < row_tile) continue;
    const int j0 = col_tile * kTile, cols_here = min(kTile, n - j0);
    if (threadIdx.x < cols_here)
      cols[threadIdx.x] = offset_box(a, sorted_box(a, b, j0 + threadIdx.x));
    __syncthreads();
    const int i = row_tile * kTile + threadIdx.x;
    if (i < n) {
      const OffsetBox bi = offset_box(a, sorted_box(a, b, i));
      uint64_t bits = 0;
      for (int c = row_tile == col_tile ? threadIdx.x + 1 : 0; c < cols_here; ++c)
        if (suppresses(bi, cols[c], a.iou)) bits |= uint64_t{1} << c;
      mask[static_cast<int64_t>(i) * a.words + col_tile] = bits;
    }
    __syncthreads();
  }
}

// Greedy selection over the mask, one block per image: the sequential part is one thread walking
// 64 candidates with the diagonal words in shared memory; kept rows are then OR-ed into the
// removed set by all threads at once.
__global__ void nms_reduce_kernel(NmsArgs a) {
  extern __shared__ uint64_t removed[];
  __shared__ uint64_t diag[kTile];
  __shared__ int keep[kTile];
  __shared__ int kept_here, kept_before, total;
  const int b = blockIdx.x;
  const int n = nms_count(a, b);
  const int words = (n + kTile - 1) / kTile;
  const uint64_t* mask = a.mask + static_cast<int64_t>(b) * a.rows * a.words;
  for (int w = threadIdx.x; w < words; w += blockDim.x) removed[w] = 0;
  if (threadIdx.x == 0) total = 0;
  __syncthreads();
  for (int word = 0; word < words; ++word) {
    if (threadIdx.x < kTile) {
      const int i = word * kTile + threadIdx.x;
      diag[threadIdx.x] = i < n ? mask[static_cast<int64_t>(i) * a.words + word] : 0;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      uint64_t gone = removed[word];
      int k = 0, t = total;
      for (int bit = 0; bit < kTile && t < a.max_det; ++bit) {
        if (word * kTile + bit >= n) break;
        if ((gone >> bit) & 1) continue;
        keep[k++] = word * kTile + bit;
        ++t;
        gone |= diag[bit];
      }
      kept_here = k;
      kept_before = total;
      total = t;
    }
    __syncthreads();
    const int k = kept_here;
    for (int r = threadIdx.x; r < k; r += blockDim.x)
      a.out[static_cast<int64_t>(b) * a.max_det + kept_before + r] = sorted_box(a, b, keep[r]);
    if (total >= a.max_det) break;
    for (int w = word + 1 + threadIdx.x; w < words; w += blockDim.x) {
      uint64_t acc = 0;
      for (int r = 0; r < k; ++r) acc |= mask[static_cast<int64_t>(keep[r]) * a.words + w];
      removed[w] |= acc;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    a.kept[b] = total;
    a.candidates[b] = n;
  }
}

unsigned blocks(int64_t count, int64_t cap) {
  const int64_t b = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 1 ? 1 : (b < cap ? b : cap));
}

}  // namespace

void launch_letterbox(const uint8_t* upload, const LetterboxJob* jobs, const ResizeTap* taps,
                      int count, float* nchw, int width, int height, cudaStream_t s) {
  const dim3 grid(blocks(static_cast<int64_t>(width) * height, 4096), static_cast<unsigned>(count));
  letterbox_kernel<<<grid, kThreads, 0, s>>>(upload, jobs, taps, nchw, width, height);
  check(cudaGetLastError(), "letterbox kernel launch");
}

void launch_decode(const DecodeArgs& a, cudaStream_t s) {
  const dim3 grid(blocks(a.anchors, 1 << 30), static_cast<unsigned>(a.images));
  decode_kernel<<<grid, kThreads, 0, s>>>(a);
  check(cudaGetLastError(), "box decode kernel launch");
}

void sort_segments(void* temp, size_t& temp_bytes, const uint64_t* in, uint64_t* out, int items,
                   int segments, const int* begins, const int* ends, int end_bit, cudaStream_t s) {
  check(cub::DeviceSegmentedRadixSort::SortKeys(temp, temp_bytes, in, out, items, segments, begins,
                                                ends, 0, end_bit, s),
        "candidate sort (cub::DeviceSegmentedRadixSort)");
}

void launch_nms(const NmsArgs& a, int grid, cudaStream_t s) {
  nms_mask_kernel<<<dim3(static_cast<unsigned>(grid), static_cast<unsigned>(a.images)), kTile, 0,
                    s>>>(a);
  check(cudaGetLastError(), "NMS IoU kernel launch");
  nms_reduce_kernel<<<static_cast<unsigned>(a.images), kThreads,
                      static_cast<size_t>(a.words) * sizeof(uint64_t), s>>>(a);
  check(cudaGetLastError(), "NMS selection kernel launch");
}

}  // namespace ys::cuda
