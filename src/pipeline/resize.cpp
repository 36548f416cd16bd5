#include "pipeline/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

#ifdef YS_HAVE_OPENCV
#include <opencv2/imgproc.hpp>
#endif

namespace ys {
namespace {

constexpr int kCoefBits = 11;  // OpenCV's INTER_RESIZE_COEF_BITS
constexpr int kCoefScale = 1 << kCoefBits;
constexpr int kChannels = 3;

// OpenCV rounds each weight on its own (saturate_cast<short>, round half to even), so a pair
// may sum to 2047 or 2049; keeping that is part of being bit-exact.
int16_t fixed_weight(float w) {
  return static_cast<int16_t>(std::nearbyint(w * static_cast<float>(kCoefScale)));
}

struct Tap {
  int src;         // first source index (pixel for x, row for y)
  int16_t w0, w1;  // fixed-point weights of src and src + 1
};

void check_image(const Tensor& src, int width, int height) {
  if (src.dtype() != DType::kUInt8 || src.rank() != 3 || src.dim(2) != kChannels)
    fail(ErrorKind::kInvalidArgument, "resize: expected a uint8 [H, W, 3] image, got ",
         dtype_name(src.dtype()), " ", shape_str(src.shape()));
  if (width <= 0 || height <= 0 || src.dim(0) <= 0 || src.dim(1) <= 0)
    fail(ErrorKind::kInvalidArgument, "resize: empty size ", src.dim(1), "x", src.dim(0), " -> ",
         width, "x", height);
}

}  // namespace

Tensor resize_linear_builtin(const Tensor& src, int width, int height) {
  check_image(src, width, height);
  const int sw = static_cast<int>(src.dim(1)), sh = static_cast<int>(src.dim(0));
  // Same double-precision steps as OpenCV: scale = 1 / (dst / src), not src / dst.
  const double scale_x = 1.0 / (static_cast<double>(width) / sw);
  const double scale_y = 1.0 / (static_cast<double>(height) / sh);

  // Columns: OpenCV clamps out-of-range source positions to the edge pixel with weight 1.
  std::vector<Tap> xt(width);
  for (int dx = 0; dx < width; ++dx) {
    float fx = static_cast<float>((dx + 0.5) * scale_x - 0.5);
    int sx = static_cast<int>(std::floor(fx));
    fx -= static_cast<float>(sx);
    if (sx < 0) fx = 0, sx = 0;
    if (sx >= sw - 1) fx = 0, sx = sw - 1;
    xt[dx] = {sx, fixed_weight(1.f - fx), fixed_weight(fx)};
  }
  // Rows: OpenCV clamps the row indices but keeps the weights, even past the edges.
  std::vector<Tap> yt(height);
  for (int dy = 0; dy < height; ++dy) {
    float fy = static_cast<float>((dy + 0.5) * scale_y - 0.5);
    const int sy = static_cast<int>(std::floor(fy));
    fy -= static_cast<float>(sy);
    yt[dy] = {sy, fixed_weight(1.f - fy), fixed_weight(fy)};
  }

  const int row_len = width * kChannels;
  const uint8_t* in = src.ptr<uint8_t>();
  auto hresize = [&](int sy, int32_t* out) {
    const uint8_t* row = in + static_cast<size_t>(sy) * sw * kChannels;
    for (int dx = 0; dx < width; ++dx) {
      const Tap& t = xt[dx];
      const uint8_t* p = row + t.src * kChannels;
      // At the right edge OpenCV uses the edge pixel alone at full weight.
      const bool edge = t.src >= sw - 1;
      for (int c = 0; c < kChannels; ++c)
        out[dx * kChannels + c] = edge ? p[c] * kCoefScale : p[c] * t.w0 + p[c + kChannels] * t.w1;
    }
  };

  Tensor dst(DType::kUInt8, {height, width, kChannels});
  uint8_t* out = dst.ptr<uint8_t>();
  // Two cached horizontal passes: consecutive output rows mostly share their source rows.
  std::vector<int32_t> rows[2] = {std::vector<int32_t>(row_len), std::vector<int32_t>(row_len)};
  int cached[2] = {-1, -1};
  for (int dy = 0; dy < height; ++dy) {
    const Tap& t = yt[dy];
    const int r0 = std::clamp(t.src, 0, sh - 1), r1 = std::clamp(t.src + 1, 0, sh - 1);
    if (cached[0] != r0) {
      if (cached[1] == r0) {
        std::swap(rows[0], rows[1]);
        std::swap(cached[0], cached[1]);
      } else {
        hresize(r0, rows[0].data());
        cached[0] = r0;
      }
    }
    if (r1 != r0 && cached[1] != r1) {
      hresize(r1, rows[1].data());
      cached[1] = r1;
    }
    const int32_t* s0 = rows[0].data();
    const int32_t* s1 = r1 == r0 ? s0 : rows[1].data();
    uint8_t* o = out + static_cast<size_t>(dy) * row_len;
    const int b0 = t.w0, b1 = t.w1;
    // OpenCV's vertical pass for 8U (SIMD and scalar tail alike) drops 4 bits before the
    // 16-bit multiply-high and rounds the last 2: not the same as one rounding of the sum.
    for (int x = 0; x < row_len; ++x) {
      const int v = (((b0 * (s0[x] >> 4)) >> 16) + ((b1 * (s1[x] >> 4)) >> 16) + 2) >> 2;
      o[x] = static_cast<uint8_t>(std::clamp(v, 0, 255));
    }
  }
  return dst;
}

Tensor resize_linear(const Tensor& src, int width, int height) {
#ifdef YS_HAVE_OPENCV
  check_image(src, width, height);
  const cv::Mat in(static_cast<int>(src.dim(0)), static_cast<int>(src.dim(1)), CV_8UC3, src.data());
  Tensor dst(DType::kUInt8, {height, width, kChannels});
  cv::Mat out(height, width, CV_8UC3, dst.data());
  cv::resize(in, out, out.size(), 0, 0, cv::INTER_LINEAR);
  YS_CHECK(out.data == dst.data(), "cv::resize reallocated its output");
  return dst;
#else
  return resize_linear_builtin(src, width, height);
#endif
}

}  // namespace ys
