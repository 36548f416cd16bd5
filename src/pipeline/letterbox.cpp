#include "pipeline/letterbox.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "pipeline/resize.h"

namespace ys {
namespace {

constexpr uint8_t kPad = 114;

// Python's round(): half to even, which std::nearbyint gives in the default rounding mode.
int py_round(double v) {
  return static_cast<int>(std::nearbyint(v));
}

void check_bgr(const Tensor& bgr) {
  if (bgr.dtype() != DType::kUInt8 || bgr.rank() != 3 || bgr.dim(2) != 3 || bgr.dim(0) <= 0 ||
      bgr.dim(1) <= 0)
    fail(ErrorKind::kInvalidArgument, "letterbox: expected a non-empty uint8 [H, W, 3] image, got ",
         dtype_name(bgr.dtype()), " ", shape_str(bgr.shape()));
}

// The resized picture before padding; shares the input when no resize is needed.
Tensor resized(const Tensor& bgr, const LetterboxInfo& g) {
  if (g.resized_width == g.src_width && g.resized_height == g.src_height) return bgr;
  return resize_linear(bgr, g.resized_width, g.resized_height);
}

}  // namespace

LetterboxInfo letterbox_geometry(int src_width, int src_height, int dst_width, int dst_height,
                                 bool scaleup) {
  if (src_width <= 0 || src_height <= 0 || dst_width <= 0 || dst_height <= 0)
    fail(ErrorKind::kInvalidArgument, "letterbox: bad size ", src_width, "x", src_height, " -> ",
         dst_width, "x", dst_height);
  LetterboxInfo g;
  g.src_width = src_width;
  g.src_height = src_height;
  g.dst_width = dst_width;
  g.dst_height = dst_height;
  g.scale = std::min(static_cast<double>(dst_height) / src_height,
                     static_cast<double>(dst_width) / src_width);
  if (!scaleup) g.scale = std::min(g.scale, 1.0);
  g.resized_width = py_round(src_width * g.scale);
  g.resized_height = py_round(src_height * g.scale);
  const double dw = (dst_width - g.resized_width) / 2.0;
  const double dh = (dst_height - g.resized_height) / 2.0;
  // Ultralytics splits an odd padding with round(d - 0.1) before and round(d + 0.1) after.
  g.pad_left = py_round(dw - 0.1);
  g.pad_top = py_round(dh - 0.1);
  return g;
}

Tensor letterbox_image(const Tensor& bgr, int dst_width, int dst_height, LetterboxInfo* info,
                       bool scaleup) {
  check_bgr(bgr);
  const LetterboxInfo g = letterbox_geometry(
      static_cast<int>(bgr.dim(1)), static_cast<int>(bgr.dim(0)), dst_width, dst_height, scaleup);
  if (info) *info = g;
  const Tensor img = resized(bgr, g);
  Tensor out(DType::kUInt8, {dst_height, dst_width, 3});
  uint8_t* o = out.ptr<uint8_t>();
  std::memset(o, kPad, out.nbytes());
  const size_t row = static_cast<size_t>(g.resized_width) * 3;
  for (int y = 0; y < g.resized_height; ++y)
    std::memcpy(o + (static_cast<size_t>(y + g.pad_top) * dst_width + g.pad_left) * 3,
                img.ptr<uint8_t>() + y * row, row);
  return out;
}

LetterboxInfo letterbox(const Tensor& bgr, int dst_width, int dst_height, float* nchw, int b,
                        bool scaleup) {
  check_bgr(bgr);
  YS_CHECK(nchw != nullptr && b >= 0);
  const LetterboxInfo g = letterbox_geometry(
      static_cast<int>(bgr.dim(1)), static_cast<int>(bgr.dim(0)), dst_width, dst_height, scaleup);
  const Tensor img = resized(bgr, g);
  // Ultralytics divides in float32 (tensor.float() / 255); a table keeps that exact and cheap.
  static const std::array<float, 256> kNorm = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = static_cast<float>(i) / 255.0f;
    return t;
  }();
  const size_t plane = static_cast<size_t>(dst_width) * dst_height;
  float* base = nchw + static_cast<size_t>(b) * 3 * plane;
  const uint8_t* in = img.ptr<uint8_t>();
  const int x0 = g.pad_left, x1 = g.pad_left + g.resized_width;
  for (int c = 0; c < 3; ++c) {
    float* out = base + c * plane;
    const int src_c = 2 - c;  // RGB planes from BGR pixels
    for (int y = 0; y < dst_height; ++y) {
      float* o = out + static_cast<size_t>(y) * dst_width;
      const int sy = y - g.pad_top;
      if (sy < 0 || sy >= g.resized_height) {
        std::fill(o, o + dst_width, kNorm[kPad]);
        continue;
      }
      std::fill(o, o + x0, kNorm[kPad]);
      const uint8_t* p = in + static_cast<size_t>(sy) * g.resized_width * 3 + src_c;
      for (int x = x0; x < x1; ++x, p += 3) o[x] = kNorm[*p];
      std::fill(o + x1, o + dst_width, kNorm[kPad]);
    }
  }
  return g;
}

}  // namespace ys
