// A built-in scene for runs without media: textured rectangles and ellipses moving over a
// textured background. Detail everywhere, so that decode-free benchmarks and profiles still see
// realistic (never blank, never constant) inputs; the same frames every run.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "pipeline/source.h"

namespace ys {
namespace {

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint32_t pixel_hash(uint32_t x, uint32_t y, uint32_t t) {
  uint32_t h = x * 0x8DA6B343u ^ y * 0xD8163841u ^ t * 0xCB1AB31Fu;
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  return h;
}

// Position bouncing between 0 and span.
double bounce(double p, double span) {
  if (span <= 0) return 0;
  const double period = 2 * span;
  double m = std::fmod(p, period);
  if (m < 0) m += period;
  return m <= span ? m : period - m;
}

struct Shape {
  bool ellipse;
  double w, h, x0, y0, vx, vy;
  uint8_t color[3];
  int stripe;  // texture period in pixels
};

class SyntheticSource : public Source {
 public:
  SyntheticSource(int frames, int width, int height, double fps)
      : frames_(frames), width_(width), height_(height), fps_(fps) {
    uint64_t seed = 0x5EEDu;
    auto uniform = [&](double lo, double hi) {
      return lo + (hi - lo) * static_cast<double>(splitmix(seed) >> 11) * 0x1.0p-53;
    };
    const int count = 6;
    for (int i = 0; i < count; ++i) {
      Shape s;
      s.ellipse = i % 2 == 1;
      s.w = uniform(0.1, 0.3) * width;
      s.h = uniform(0.1, 0.35) * height;
      s.x0 = uniform(0, width);
      s.y0 = uniform(0, height);
      s.vx = uniform(-6, 6);
      s.vy = uniform(-4, 4);
      for (uint8_t& c : s.color) c = static_cast<uint8_t>(uniform(30, 250));
      s.stripe = static_cast<int>(uniform(4, 16));
      shapes_.push_back(s);
    }
  }

  bool next(Frame& frame) override {
    if (index_ >= frames_) return false;
    frame.image = render(static_cast<int>(index_));
    frame.source = "synthetic";
    frame.kind = FrameKind::kVideo;
    frame.index = index_;
    frame.timestamp_s = fps_ > 0 ? index_ / fps_ : 0;
    ++index_;
    return true;
  }

  std::string describe() const override {
    return cat("synthetic scene (", frames_, " frames, ", width_, "x", height_, ", ", fps_,
               " fps)");
  }
  std::optional<int64_t> size() const override { return frames_; }

 private:
  Tensor render(int t) const {
    Tensor img(DType::kUInt8, {height_, width_, 3});
    uint8_t* p = img.ptr<uint8_t>();
    // Background: a drifting plaid of two gradients plus per-frame grain.
    for (int y = 0; y < height_; ++y) {
      for (int x = 0; x < width_; ++x) {
        const int u = x + 2 * t, v = y + t;
        const uint32_t grain = pixel_hash(x, y, t) & 15;
        uint8_t* px = p + (static_cast<size_t>(y) * width_ + x) * 3;
        px[0] = static_cast<uint8_t>(60 + (u * 3 & 63) + grain);
        px[1] = static_cast<uint8_t>(80 + (v * 2 & 63) + grain);
        px[2] = static_cast<uint8_t>(70 + ((u ^ v) & 31) + ((u / 40 + v / 40) % 2) * 40 + grain);
      }
    }
    for (const Shape& s : shapes_) {
      const double cx = bounce(s.x0 + s.vx * t, width_ - s.w) + s.w / 2;
      const double cy = bounce(s.y0 + s.vy * t, height_ - s.h) + s.h / 2;
      const int x0 = std::max(0, static_cast<int>(cx - s.w / 2));
      const int x1 = std::min(width_, static_cast<int>(cx + s.w / 2));
      const int y0 = std::max(0, static_cast<int>(cy - s.h / 2));
      const int y1 = std::min(height_, static_cast<int>(cy + s.h / 2));
      for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) {
          if (s.ellipse) {
            const double dx = (x + 0.5 - cx) / (s.w / 2), dy = (y + 0.5 - cy) / (s.h / 2);
            if (dx * dx + dy * dy > 1) continue;
          }
          // Stripes fixed to the shape, so the texture moves with it.
          const int sx = x - x0, sy = y - y0;
          const bool dark = ((sx + sy) / s.stripe) % 2 == 1;
          const int grain = static_cast<int>(pixel_hash(x, y, t + 7919) & 31) - 16;
          uint8_t* px = p + (static_cast<size_t>(y) * width_ + x) * 3;
          for (int c = 0; c < 3; ++c) {
            const int v = (dark ? s.color[c] * 3 / 5 : s.color[c]) + grain;
            px[c] = static_cast<uint8_t>(std::clamp(v, 0, 255));
          }
        }
      }
    }
    return img;
  }

  int64_t frames_;
  int width_, height_;
  double fps_;
  std::vector<Shape> shapes_;
  int64_t index_ = 0;
};

}  // namespace

std::unique_ptr<Source> open_synthetic_source(int frames, int width, int height, double fps) {
  if (frames < 0 || width < 16 || height < 16 || width > 16384 || height > 16384)
    fail(ErrorKind::kInvalidArgument, "synthetic source: bad size ", width, "x", height, " or ",
         "frame count ", frames);
  return std::make_unique<SyntheticSource>(frames, width, height, fps);
}

}  // namespace ys
