// One thread per output pixel; a pixel reads four luma and four chroma samples, which the L1
// cache shares between neighbours, so no shared-memory tiling is needed at these sizes.
#include "backends/cuda/nv12_letterbox.h"

namespace ys::cuda {
namespace {

constexpr float kPad = 114.f / 255.f;

__device__ __forceinline__ float sample(const uint8_t* plane, int pitch, int stride, int offset,
                                        int w, int h, float x, float y) {
  x = fminf(fmaxf(x, 0.f), static_cast<float>(w - 1));
  y = fminf(fmaxf(y, 0.f), static_cast<float>(h - 1));
  const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
  const int x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1);
  const float fx = x - x0, fy = y - y0;
  const uint8_t* r0 = plane + static_cast<int64_t>(y0) * pitch + offset;
  const uint8_t* r1 = plane + static_cast<int64_t>(y1) * pitch + offset;
  const float top = r0[x0 * stride] + fx * (r0[x1 * stride] - r0[x0 * stride]);
  const float bottom = r1[x0 * stride] + fx * (r1[x1 * stride] - r1[x0 * stride]);
  return top + fy * (bottom - top);
}

__device__ __forceinline__ float unit(float v) {
  return fminf(fmaxf(rintf(v), 0.f), 255.f) / 255.f;
}

__global__ void nv12_letterbox_kernel(Nv12Letterbox j) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= j.width || y >= j.height) return;
  const int64_t plane = static_cast<int64_t>(j.width) * j.height;
  const int64_t at = static_cast<int64_t>(y) * j.width + x;
  const int dx = x - j.pad_left, dy = y - j.pad_top;
  if (dx < 0 || dx >= j.resized_width || dy < 0 || dy >= j.resized_height) {
    j.nchw[at] = j.nchw[plane + at] = j.nchw[2 * plane + at] = kPad;
    return;
  }
  // Half-pixel centres, as OpenCV's INTER_LINEAR; chroma sits at half resolution (4:2:0).
  const float sx = (dx + 0.5f) * j.src_width / j.resized_width - 0.5f;
  const float sy = (dy + 0.5f) * j.src_height / j.resized_height - 0.5f;
  const int cw = (j.src_width + 1) / 2, ch = (j.src_height + 1) / 2;
  const float cx = (sx + 0.5f) * 0.5f - 0.5f, cy = (sy + 0.5f) * 0.5f - 0.5f;
  const float luma = sample(j.luma, j.pitch, 1, 0, j.src_width, j.src_height, sx, sy);
  const float cb = sample(j.chroma, j.pitch, 2, 0, cw, ch, cx, cy) - 128.f;
  const float cr = sample(j.chroma, j.pitch, 2, 1, cw, ch, cx, cy) - 128.f;
  const float yy = 1.164383f * (luma - 16.f);
  j.nchw[at] = unit(yy + 1.596027f * cr);                           // R
  j.nchw[plane + at] = unit(yy - 0.391762f * cb - 0.812968f * cr);  // G
  j.nchw[2 * plane + at] = unit(yy + 2.017232f * cb);               // B
}

__device__ __forceinline__ uint8_t byte(float v) {
  return static_cast<uint8_t>(fminf(fmaxf(rintf(v), 0.f), 255.f));
}

__global__ void nv12_to_bgr_kernel(Nv12Bgr j) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= j.width || y >= j.height) return;
  const uint8_t* uv = j.chroma + static_cast<int64_t>(y / 2) * j.pitch + (x / 2) * 2;
  const float yy = 1.164383f * (j.luma[static_cast<int64_t>(y) * j.pitch + x] - 16.f);
  const float cb = uv[0] - 128.f, cr = uv[1] - 128.f;
  uint8_t* out = j.bgr + (static_cast<int64_t>(y) * j.width + x) * 3;
  out[0] = byte(yy + 2.017232f * cb);
  out[1] = byte(yy - 0.391762f * cb - 0.812968f * cr);
  out[2] = byte(yy + 1.596027f * cr);
}

}  // namespace

void launch_nv12_to_bgr(const Nv12Bgr& job, cudaStream_t s) {
  const dim3 block(32, 8);
  const dim3 grid((job.width + block.x - 1) / block.x, (job.height + block.y - 1) / block.y);
  nv12_to_bgr_kernel<<<grid, block, 0, s>>>(job);
}

void launch_nv12_letterbox(const Nv12Letterbox& job, cudaStream_t s) {
  const dim3 block(32, 8);
  const dim3 grid((job.width + block.x - 1) / block.x, (job.height + block.y - 1) / block.y);
  nv12_letterbox_kernel<<<grid, block, 0, s>>>(job);
}

}  // namespace ys::cuda
