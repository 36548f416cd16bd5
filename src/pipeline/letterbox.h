// Preprocessing as Ultralytics does it for a fixed-shape model: LetterBox(new_shape, auto=False,
// scaleup=True, center=True) — scale to fit keeping the aspect ratio, resize with INTER_LINEAR,
// pad with gray 114 — then BGR to RGB, HWC to CHW and /255 into a float32 NCHW slot. The tensor
// must equal Ultralytics' to the gray level, or detections drift from the reference.
#pragma once

#include "core/tensor.h"

namespace ys {

struct LetterboxInfo {
  int src_width = 0, src_height = 0;          // the original image
  int dst_width = 0, dst_height = 0;          // the model input
  double scale = 1;                           // r: resized = round(src * r)
  int resized_width = 0, resized_height = 0;  // the image inside the padding
  int pad_left = 0, pad_top = 0;              // where it sits
};

// The geometry alone. scaleup=false never enlarges (Ultralytics' scaleup argument).
LetterboxInfo letterbox_geometry(int src_width, int src_height, int dst_width, int dst_height,
                                 bool scaleup = true);

// The letterboxed image itself, still uint8 BGR [dst_height, dst_width, 3].
Tensor letterbox_image(const Tensor& bgr, int dst_width, int dst_height,
                       LetterboxInfo* info = nullptr, bool scaleup = true);

// Writes the model input for batch index b of a float32 [B, 3, dst_height, dst_width] tensor
// whose data starts at nchw, in place, so the runtime's input arena needs no extra copy.
LetterboxInfo letterbox(const Tensor& bgr, int dst_width, int dst_height, float* nchw, int b = 0,
                        bool scaleup = true);

}  // namespace ys
