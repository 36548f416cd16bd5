// Reading and writing image files as BGR uint8 [H, W, 3] tensors. With OpenCV the decoding is
// cv::imdecode's, as in Ultralytics; without it a small built-in decoder reads JPEG (libjpeg) and
// PNG (libpng) with the same conversions as OpenCV's IMREAD_COLOR (gray expanded to three
// channels, alpha dropped, 16 bits cut to 8; EXIF orientation is not applied).
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace ys {

// The pixel budget: the most pixels an image file's header may claim before it is decoded. A
// small compressed file can claim a huge picture (a 73 KB JPEG of 20000x20000 takes 2.65 GB and
// 20 s to decode); the budget refuses it from the header. JPEG, PNG, BMP and WebP headers are
// read; other formats are bounded only by OpenCV's own limit of 2^30 pixels.
inline constexpr int64_t kDefaultMaxPixels = 100'000'000;

struct DecodedImage {
  Tensor image;  // uint8 [H, W, 3], BGR
  // Why the picture is incomplete although it decoded (a truncated JPEG, which decoders fill
  // with grey below the cut); empty when the file is whole.
  std::string damage;
};

// Throws ys::Error naming the path and why: missing (kNotFound), unreadable, a name the system
// cannot resolve (kIo), not a regular file (a FIFO would block), not a decodable image or a
// header over max_pixels (kBadInput), too large to hold in memory (kOutOfMemory).
DecodedImage decode_image_file(const std::string& path, int64_t max_pixels = kDefaultMaxPixels);

// decode_image_file's picture, damaged or not.
Tensor read_image(const std::string& path, int64_t max_pixels = kDefaultMaxPixels);

// The built-in JPEG/PNG decoder that read_image uses without OpenCV; built in every
// configuration so that the two can be compared.
Tensor read_image_builtin(const std::string& path);

// Writes a BGR uint8 [H, W, 3] image as an 8-bit RGB PNG (libpng); throws kIo on failure.
void write_png(const std::string& path, const Tensor& bgr);

}  // namespace ys
