// Bilinear resizing of BGR uint8 images. The letterbox must reproduce Ultralytics' input tensor
// to the gray level, and Ultralytics resizes with cv::resize(INTER_LINEAR); so the built-in
// resize used without OpenCV reproduces OpenCV's fixed-point arithmetic rather than textbook
// bilinear interpolation.
#pragma once

#include "core/tensor.h"

namespace ys {

// src: uint8 [H, W, 3]. Uses cv::resize(INTER_LINEAR) where OpenCV is built in, the built-in
// resize otherwise.
Tensor resize_linear(const Tensor& src, int width, int height);

// OpenCV's INTER_LINEAR for 8-bit images (11-bit fixed-point weights, its rounding) without
// OpenCV; always built so the tests can compare it with cv::resize.
Tensor resize_linear_builtin(const Tensor& src, int width, int height);

}  // namespace ys
