// Reading and writing image files as BGR uint8 [H, W, 3] tensors. With OpenCV the decoding is
// cv::imdecode's, as in Ultralytics; without it a small built-in decoder reads JPEG (libjpeg) and
// PNG (libpng) with the same conversions as OpenCV's IMREAD_COLOR (gray expanded to three
// channels, alpha dropped, 16 bits cut to 8; EXIF orientation is not applied).
#pragma once

#include <string>

#include "core/tensor.h"

namespace ys {

// Throws ys::Error naming the path and why: missing (kNotFound), unreadable (kIo), not a
// decodable image (kBadInput).
Tensor read_image(const std::string& path);

// The built-in JPEG/PNG decoder that read_image uses without OpenCV; built in every
// configuration so that the two can be compared.
Tensor read_image_builtin(const std::string& path);

// Writes a BGR uint8 [H, W, 3] image as an 8-bit RGB PNG (libpng); throws kIo on failure.
void write_png(const std::string& path, const Tensor& bgr);

}  // namespace ys
