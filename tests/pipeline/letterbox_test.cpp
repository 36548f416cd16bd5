// Preprocessing against Ultralytics' own letterboxed tensors, and the OpenCV-free decoder and
// resize against OpenCV's.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/npy.h"
#include "pipeline/image_io.h"
#include "pipeline/letterbox.h"
#include "pipeline/resize.h"
#include "test_data.h"

namespace ys {
namespace {

TEST(PipelineLetterboxGeometry, MatchesUltralyticsRounding) {
  // messi5: 548x342 -> r = 640/548, 640x399 inside, 241 rows of padding split 120 / 121.
  LetterboxInfo g = letterbox_geometry(548, 342, 640, 640);
  EXPECT_EQ(g.resized_width, 640);
  EXPECT_EQ(g.resized_height, 399);  // 342 * 1.16788 = 399.42
  EXPECT_EQ(g.pad_left, 0);
  EXPECT_EQ(g.pad_top, 120);  // 241 / 2 = 120.5: round(120.4) before, round(120.6) after
  // One row of padding goes below: round(0.5 - 0.1) = 0 on top.
  g = letterbox_geometry(640, 639, 640, 640);
  EXPECT_EQ(g.pad_top, 0);
  g = letterbox_geometry(100, 50, 640, 640, /*scaleup=*/false);
  EXPECT_DOUBLE_EQ(g.scale, 1.0);
  EXPECT_EQ(g.pad_left, 270);
  EXPECT_EQ(g.pad_top, 295);
}

TEST(PipelineLetterbox, FloatSlotMatchesImageAndLeavesOtherSlots) {
  Tensor img(DType::kUInt8, {50, 80, 3});
  for (int64_t i = 0; i < img.numel(); ++i) img.ptr<uint8_t>()[i] = static_cast<uint8_t>(i * 7);
  LetterboxInfo info;
  const Tensor boxed = letterbox_image(img, 64, 64, &info);
  std::vector<float> batch(2 * 3 * 64 * 64, -1.f);
  letterbox(img, 64, 64, batch.data(), 1);
  for (int i = 0; i < 3 * 64 * 64; ++i) ASSERT_EQ(batch[i], -1.f) << "slot 0 was written";
  const float* slot = batch.data() + 3 * 64 * 64;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x)
        ASSERT_EQ(slot[(c * 64 + y) * 64 + x],
                  static_cast<float>(boxed.ptr<uint8_t>()[(y * 64 + x) * 3 + 2 - c]) / 255.0f);
  EXPECT_EQ(slot[0], 114.0f / 255.0f);  // padding rows on top: 64 - 40 = 24 rows
}

// Compares our letterboxed image (BGR HWC) with the reference (RGB NCHW): returns the largest
// difference and the fraction of values that differ.
std::pair<int, double> compare_with_reference(const Tensor& bgr, const Tensor& ref) {
  int max_diff = 0;
  int64_t differ = 0;
  const int64_t h = ref.dim(2), w = ref.dim(3);
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const int a = bgr.ptr<uint8_t>()[(y * w + x) * 3 + 2 - c];
        const int b = ref.ptr<uint8_t>()[(c * h + y) * w + x];
        max_diff = std::max(max_diff, std::abs(a - b));
        differ += a != b;
      }
  return {max_diff, static_cast<double>(differ) / ref.numel()};
}

class PipelineLetterboxReference : public ::testing::TestWithParam<const char*> {};

TEST_P(PipelineLetterboxReference, MatchesUltralyticsInput) {
  const std::string stem = GetParam();
  YS_REQUIRE_TESTDATA("reference/ort/" + stem + "_input_u8.npy");
  const Tensor ref = load_npy(testing::testdata("reference/ort/" + stem + "_input_u8.npy"));
  ASSERT_EQ(ref.dtype(), DType::kUInt8);
  ASSERT_EQ(ref.shape(), (Shape{1, 3, 640, 640}));
  const Tensor img = read_image(testing::testdata("data/images/" + stem + ".jpg"));
  const Tensor boxed = letterbox_image(img, 640, 640);
  auto [max_diff, fraction] = compare_with_reference(boxed, ref);
  EXPECT_LE(max_diff, 1) << stem;
  EXPECT_LE(fraction, 0.001) << stem;
  // The built-in decoder and resize, as used without OpenCV, must reach it too.
  const LetterboxInfo g =
      letterbox_geometry(static_cast<int>(img.dim(1)), static_cast<int>(img.dim(0)), 640, 640);
  const Tensor resized =
      resize_linear_builtin(read_image_builtin(testing::testdata("data/images/" + stem + ".jpg")),
                            g.resized_width, g.resized_height);
  const Tensor padded = letterbox_image(resized, 640, 640);
  std::tie(max_diff, fraction) = compare_with_reference(padded, ref);
  EXPECT_LE(max_diff, 1) << stem << " (built-in decoder and resize)";
  EXPECT_LE(fraction, 0.001) << stem << " (built-in decoder and resize)";
  std::printf("%s: %.5f%% of values off by one\n", stem.c_str(), fraction * 100);
}

INSTANTIATE_TEST_SUITE_P(Images, PipelineLetterboxReference,
                         ::testing::Values("messi5", "fruits", "noise"));

#ifdef YS_HAVE_OPENCV
TEST(PipelineResizeBuiltin, BitExactWithOpenCvOnRandomImages) {
  std::mt19937 rng(7);
  const int sizes[][4] = {{548, 342, 640, 399}, {512, 480, 640, 600}, {768, 576, 640, 480},
                          {640, 640, 320, 320}, {33, 17, 640, 330},   {1920, 1080, 640, 360},
                          {7, 5, 3, 2},         {101, 99, 100, 250},  {300, 200, 600, 400}};
  for (const auto& s : sizes) {
    Tensor img(DType::kUInt8, {s[1], s[0], 3});
    for (int64_t i = 0; i < img.numel(); ++i) img.ptr<uint8_t>()[i] = static_cast<uint8_t>(rng());
    const Tensor a = resize_linear(img, s[2], s[3]);
    const Tensor b = resize_linear_builtin(img, s[2], s[3]);
    int64_t differ = 0;
    for (int64_t i = 0; i < a.numel(); ++i) differ += a.ptr<uint8_t>()[i] != b.ptr<uint8_t>()[i];
    EXPECT_EQ(differ, 0) << s[0] << "x" << s[1] << " -> " << s[2] << "x" << s[3];
  }
}

TEST(PipelineImageBuiltin, DecodesLikeOpenCv) {
  for (const char* name : {"messi5.jpg", "fruits.jpg", "noise.jpg", "basketball1.png"}) {
    const std::string rel = std::string("data/images/") + name;
    YS_REQUIRE_TESTDATA(rel);
    const Tensor a = read_image(testing::testdata(rel));
    const Tensor b = read_image_builtin(testing::testdata(rel));
    ASSERT_EQ(a.shape(), b.shape()) << name;
    int max_diff = 0;
    for (int64_t i = 0; i < a.numel(); ++i)
      max_diff = std::max(max_diff, std::abs(a.ptr<uint8_t>()[i] - b.ptr<uint8_t>()[i]));
    EXPECT_LE(max_diff, 1) << name;
  }
}
#endif

}  // namespace
}  // namespace ys
