// Input figures measured on constructed images: flat, noisy, smooth and moving.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "analysis/input_stats.h"

namespace ys {
namespace {

Tensor image(int h, int w, const std::function<uint8_t(int, int)>& value) {
  Tensor t(DType::kUInt8, {h, w, 3});
  uint8_t* p = t.ptr<uint8_t>();
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) p[(y * w + x) * 3 + c] = value(y, x);
    }
  }
  return t;
}

TEST(InputStats, FlatImageHasNoContrastAndNoRoughness) {
  std::vector<float> prev;
  const InputFrameSample s = measure_frame(image(48, 64, [](int, int) { return 0; }), prev);
  EXPECT_EQ(s.contrast, 0);
  EXPECT_EQ(s.brightness, 0);
  EXPECT_EQ(s.roughness, 0);
  EXPECT_EQ(s.change, -1) << "no previous frame";
}

TEST(InputStats, NoiseIsRoughAndSmoothGradientsAreNot) {
  std::mt19937 rng(1);
  std::vector<float> prev;
  const InputFrameSample noise =
      measure_frame(image(480, 640, [&](int, int) { return rng() & 255; }), prev);
  EXPECT_GT(noise.roughness, 0.9);
  EXPECT_GT(noise.contrast, 40);
  const InputFrameSample smooth =
      measure_frame(image(480, 640, [](int y, int x) { return (x + y) / 5; }), prev);
  EXPECT_LT(smooth.roughness, 0.1);
}

TEST(InputStats, ChangeIsTheMeanDifferenceFromThePreviousFrame) {
  std::vector<float> prev;
  measure_frame(image(48, 64, [](int, int) { return 100; }), prev);
  const InputFrameSample s = measure_frame(image(48, 64, [](int, int) { return 110; }), prev);
  EXPECT_NEAR(s.change, 10, 1e-3);
  // A new size starts over instead of comparing unrelated grids.
  const InputFrameSample t = measure_frame(image(96, 64, [](int, int) { return 110; }), prev);
  EXPECT_EQ(t.change, -1);
}

TEST(InputStats, RecorderSummarisesFramesAndDetections) {
  InputStatsRecorder r;
  for (int i = 0; i < 5; ++i)
    r.add(i, image(48, 64, [i](int, int x) { return x * 2 + i; }), i % 2, 10 * i);
  const InputStats s = r.summarize();
  EXPECT_EQ(s.frames, 5);
  EXPECT_EQ(s.change.count, 4);
  EXPECT_NEAR(s.change.median, 1, 1e-3);
  EXPECT_EQ(s.frames_with_detections, 2);
  EXPECT_EQ(s.candidates.median, 20);
}

TEST(InputStats, LargeFramesAreSubsampled) {
  std::vector<float> prev;
  measure_frame(image(1080, 1920, [](int y, int) { return y % 256; }), prev);
  EXPECT_LE(prev.size(), 70u * 70u);
}

}  // namespace
}  // namespace ys
