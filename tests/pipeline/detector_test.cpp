// End-to-end conformance of the Detector (letterbox, inference, NMS, scaling) against
// Ultralytics' own predictions with the same ONNX model, on images and video frames.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "pipeline/detector.h"
#include "pipeline/image_io.h"
#include "pipeline/source.h"
#include "test_data.h"

namespace ys {
namespace {

using nlohmann::json;

nlohmann::json reference() {
  std::ifstream f(testing::testdata("reference/ultralytics_onnx_predictions.json"));
  return json::parse(f);
}

// Same count, same classes, boxes within 1 px, confidences within 0.01. Ours and theirs are
// both sorted by confidence; near-ties may swap, so each reference box takes the closest unused
// detection of its class.
void expect_same(const std::vector<Detection>& ours, const json& ref, const std::string& what) {
  const auto& xyxy = ref["xyxy"];
  ASSERT_EQ(ours.size(), xyxy.size()) << what;
  std::vector<bool> used(ours.size(), false);
  for (size_t r = 0; r < xyxy.size(); ++r) {
    const int cls = ref["cls"][r].get<int>();
    const float conf = ref["conf"][r].get<float>();
    double best = 1e9;
    size_t best_i = ours.size();
    for (size_t i = 0; i < ours.size(); ++i) {
      if (used[i] || ours[i].cls != cls) continue;
      const Detection& d = ours[i];
      double dist = std::max(
          {std::fabs(d.x1 - xyxy[r][0].get<double>()), std::fabs(d.y1 - xyxy[r][1].get<double>()),
           std::fabs(d.x2 - xyxy[r][2].get<double>()), std::fabs(d.y2 - xyxy[r][3].get<double>())});
      if (dist < best) {
        best = dist;
        best_i = i;
      }
    }
    ASSERT_LT(best_i, ours.size())
        << what << ": no detection of class " << cls << " for reference box " << r;
    used[best_i] = true;
    EXPECT_LE(best, 1.0) << what << ": box " << r << " (class " << cls << ") is " << best
                         << " px off";
    EXPECT_NEAR(ours[best_i].conf, conf, 0.01) << what << ": box " << r;
  }
}

DetectorOptions coco_options() {
  DetectorOptions o;
  o.model = testing::testdata("models/yolov8n-coco.onnx");
  return o;
}

TEST(DetectorConformance, ImagesMatchUltralytics) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  YS_REQUIRE_TESTDATA("reference/ultralytics_onnx_predictions.json");
  Detector det(coco_options());
  json ref = reference();
  ASSERT_EQ(ref["images"].size(), 4u);
  for (const auto& [name, expected] : ref["images"].items()) {
    Tensor img = read_image(testing::testdata("data/images/" + name));
    ASSERT_EQ(img.dim(0), expected["orig_shape"][0].get<int64_t>()) << name;
    expect_same(det.detect(img), expected, name);
  }
}

TEST(DetectorConformance, VideoFramesMatchUltralytics) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  json ref = reference();
  const auto& frames = ref["video"];
  ASSERT_EQ(frames.size(), 60u);
  Detector det(coco_options());
  SourceSpec spec;
  spec.source = testing::testdata("data/video/vtest.avi");
  std::unique_ptr<Source> src;
  try {
    src = open_source(spec);
  } catch (const Error& e) {
    GTEST_SKIP() << "video input unavailable in this build: " << e.what();
  }
  Frame f;
  size_t k = 0;
  for (; k < frames.size() && src->next(f); ++k)
    expect_same(det.detect(f.image), frames[k], "frame " + std::to_string(k));
  EXPECT_EQ(k, frames.size());
}

TEST(DetectorConformance, BatchGivesTheSameDetectionsAsSingleImages) {
  YS_REQUIRE_TESTDATA("data/images/messi5.jpg");
  DetectorOptions o;
  o.model = "yolov8n.yaml";
  o.batch = 2;
  o.nms.conf = 0.0005f;  // synthetic weights score low; keep some boxes to compare
  Detector det(o);
  Tensor a = read_image(testing::testdata("data/images/messi5.jpg"));
  Tensor b = read_image(testing::testdata("data/images/fruits.jpg"));
  auto both = det.detect_batch({&a, &b});
  ASSERT_EQ(both.size(), 2u);
  auto only_b = det.detect(b);
  ASSERT_FALSE(only_b.empty()) << "lower conf until the synthetic model yields boxes";
  ASSERT_EQ(both[1].size(), only_b.size());
  for (size_t i = 0; i < only_b.size(); ++i) {
    EXPECT_NEAR(both[1][i].x1, only_b[i].x1, 1e-3);
    EXPECT_NEAR(both[1][i].conf, only_b[i].conf, 1e-6);
  }
}

TEST(Detector, BuiltInModelRunsWithoutFilesAndSaysItIsSynthetic) {
  Detector det(DetectorOptions{});
  EXPECT_TRUE(det.model().synthetic_weights);
  EXPECT_EQ(det.model().input_shape, (Shape{1, 3, 640, 640}));
  Tensor img(DType::kUInt8, {480, 640, 3});
  for (int64_t i = 0; i < img.numel(); ++i)
    img.ptr<uint8_t>()[i] = static_cast<uint8_t>(i * 7 % 251);
  auto dets = det.detect(img);
  EXPECT_TRUE(dets.empty()) << "synthetic weights must not flood the output with boxes";
  EXPECT_GT(det.last_stage_ms()[static_cast<size_t>(PipelineStage::kInference)], 0);
}

TEST(Detector, BadModelAndBadImageGetClearErrors) {
  DetectorOptions o;
  o.model = "/nonexistent/model.onnx";
  try {
    Detector det(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.onnx"), std::string::npos);
  }
  Detector det(DetectorOptions{});
  EXPECT_THROW(det.detect(Tensor(DType::kFloat32, {4, 4, 3})), Error);
  EXPECT_THROW(det.detect(Tensor(DType::kUInt8, {4, 4})), Error);
}

}  // namespace
}  // namespace ys
