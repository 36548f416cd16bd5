// NV12 to the model's input in one kernel (issue 20): an NVDEC surface (8-bit luma plane, then
// interleaved half-resolution Cb/Cr) is converted to RGB with BT.601 limited-range coefficients
// (FFmpeg's and OpenCV's choice for untagged SD and HD streams alike), resized bilinearly with
// half-pixel centres, padded with 114 and scaled to [0, 1] into a float32 NCHW slot. The bilinear
// taps are computed in float, not in OpenCV's 11-bit fixed point, so the result is close to the
// host letterbox of a CPU-decoded frame but not bit-exact: the GPU check states the bound.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ys::cuda {

struct Nv12Letterbox {
  const uint8_t* luma = nullptr;    // device pointer of the surface's Y plane
  const uint8_t* chroma = nullptr;  // its UV plane (NVDEC: luma + pitch * aligned height)
  int pitch = 0;                    // bytes per row of both planes
  int src_width = 0, src_height = 0;
  int resized_width = 0, resized_height = 0;  // the picture inside the model input
  int pad_left = 0, pad_top = 0;
  float* nchw = nullptr;  // one image's slot: [3, height, width]
  int width = 0, height = 0;
};

void launch_nv12_letterbox(const Nv12Letterbox& job, cudaStream_t s);

// A whole surface as interleaved uint8 BGR at its own size, for outputs that draw on the frame
// (save=True). Chroma is taken from the nearest sample: the picture is for people, not the model.
struct Nv12Bgr {
  const uint8_t* luma = nullptr;
  const uint8_t* chroma = nullptr;
  int pitch = 0;
  int width = 0, height = 0;
  uint8_t* bgr = nullptr;  // device, [height, width, 3]
};

void launch_nv12_to_bgr(const Nv12Bgr& job, cudaStream_t s);

}  // namespace ys::cuda
