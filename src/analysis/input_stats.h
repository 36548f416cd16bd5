// Input representativeness: a few cheap figures per measured frame (brightness, contrast, change
// from the previous frame, pixel-level noise, detections and NMS candidates) so the advisor can
// say when the profiled window would mislead, e.g. a black or frozen camera, a noise pattern or
// a confidence threshold that floods NMS. Pixels are read on a strided grid of at most about
// 64x64 points, so a frame costs microseconds; callers record after the frame's timed stages.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/statistics.h"
#include "core/tensor.h"

namespace ys {

struct InputFrameSample {
  int64_t frame = 0;
  double brightness = 0;  // mean luma, 0..255
  double contrast = 0;    // standard deviation of luma, 0..255
  double change = -1;     // mean |luma - previous frame's luma|; -1 for the first frame
  double roughness = 0;   // mean |luma(x+1) - luma(x)| / contrast: ~1.1 for white noise
  int64_t detections = 0, candidates = 0;
};

struct InputStats {
  int64_t frames = 0;
  Stats brightness, contrast, change, roughness, detections, candidates;
  int64_t frames_with_detections = 0;
  std::vector<InputFrameSample> samples;  // per frame, in recording order
};

// Luma figures of one BGR uint8 [H, W, 3] image; `previous` holds the last frame's grid and is
// replaced by this one's (change stays -1 when the grids differ in size).
InputFrameSample measure_frame(const Tensor& bgr, std::vector<float>& previous);

// The window's summary statistics over per-frame samples (a negative change means "no previous
// frame" and is left out).
InputStats summarize_input(std::vector<InputFrameSample> samples);

class InputStatsRecorder {
 public:
  explicit InputStatsRecorder(size_t max_frames = 20000) : max_frames_(max_frames) {}
  void add(int64_t frame, const Tensor& bgr, int64_t detections, int64_t candidates);
  InputStats summarize() const { return summarize_input(samples_); }

 private:
  size_t max_frames_;
  std::vector<InputFrameSample> samples_;
  std::vector<float> previous_;
};

}  // namespace ys
