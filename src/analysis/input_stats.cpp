#include "analysis/input_stats.h"

#include <algorithm>
#include <cmath>

namespace ys {
namespace {

// About 64x64 grid points: enough for stable means and deviations, cheap at any resolution.
constexpr int64_t kGridPoints = 64;

float luma(const uint8_t* px) {
  return 0.114f * static_cast<float>(px[0]) + 0.587f * static_cast<float>(px[1]) +
         0.299f * static_cast<float>(px[2]);
}

}  // namespace

InputFrameSample measure_frame(const Tensor& bgr, std::vector<float>& previous) {
  InputFrameSample s;
  if (bgr.empty() || bgr.rank() != 3 || bgr.dim(2) != 3 || bgr.dtype() != DType::kUInt8) {
    previous.clear();
    return s;
  }
  const int64_t h = bgr.dim(0), w = bgr.dim(1);
  const int64_t sy = std::max<int64_t>(1, h / kGridPoints),
                sx = std::max<int64_t>(1, w / kGridPoints);
  const uint8_t* data = bgr.ptr<uint8_t>();
  std::vector<float> grid;
  grid.reserve(static_cast<size_t>((h / sy + 1) * (w / sx + 1)));
  double rough_sum = 0;
  int64_t rough_n = 0;
  for (int64_t y = 0; y < h; y += sy) {
    for (int64_t x = 0; x < w; x += sx) {
      const uint8_t* px = data + (y * w + x) * 3;
      const float v = luma(px);
      grid.push_back(v);
      // The neighbouring pixel, not the neighbouring grid point: noise decorrelates adjacent
      // pixels, real scenes and rendered shapes do not.
      if (x + 1 < w) {
        rough_sum += std::fabs(luma(px + 3) - v);
        ++rough_n;
      }
    }
  }
  double sum = 0;
  for (float v : grid) sum += v;
  const double n = static_cast<double>(grid.size());
  s.brightness = sum / n;
  double var = 0;
  for (float v : grid) var += (v - s.brightness) * (v - s.brightness);
  s.contrast = std::sqrt(var / n);
  // A flat image has no texture at all; call its roughness 0 rather than dividing by zero.
  s.roughness =
      s.contrast > 1.0 && rough_n > 0 ? rough_sum / static_cast<double>(rough_n) / s.contrast : 0;
  if (previous.size() == grid.size()) {
    double diff = 0;
    for (size_t i = 0; i < grid.size(); ++i) diff += std::fabs(grid[i] - previous[i]);
    s.change = diff / n;
  }
  previous = std::move(grid);
  return s;
}

void InputStatsRecorder::add(int64_t frame, const Tensor& bgr, int64_t detections,
                             int64_t candidates) {
  if (samples_.size() >= max_frames_) return;
  InputFrameSample s = measure_frame(bgr, previous_);
  s.frame = frame;
  s.detections = detections;
  s.candidates = candidates;
  samples_.push_back(s);
}

InputStats summarize_input(std::vector<InputFrameSample> samples) {
  InputStats r;
  r.frames = static_cast<int64_t>(samples.size());
  std::vector<double> b, c, ch, ro, d, ca;
  for (const auto& s : samples) {
    b.push_back(s.brightness);
    c.push_back(s.contrast);
    if (s.change >= 0) ch.push_back(s.change);
    ro.push_back(s.roughness);
    d.push_back(static_cast<double>(s.detections));
    ca.push_back(static_cast<double>(s.candidates));
    if (s.detections > 0) ++r.frames_with_detections;
  }
  r.brightness = compute_stats(b);
  r.contrast = compute_stats(c);
  r.change = compute_stats(ch);
  r.roughness = compute_stats(ro);
  r.detections = compute_stats(d);
  r.candidates = compute_stats(ca);
  r.samples = std::move(samples);
  return r;
}

}  // namespace ys
