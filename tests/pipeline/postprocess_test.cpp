// NMS, box scaling and class names; the key check replays ONNX Runtime's raw outputs through our
// postprocess and compares with Ultralytics' final detections.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/npy.h"
#include "pipeline/class_names.h"
#include "pipeline/postprocess.h"
#include "test_data.h"

namespace ys {
namespace {

// A hand-built head output [1, 4 + nc, N] filled column by column.
struct Head {
  int nc = 1;
  explicit Head(int classes) : nc(classes) {}
  std::vector<std::array<float, 4>> boxes;  // cx, cy, w, h
  std::vector<std::vector<float>> scores;

  void add(float x1, float y1, float x2, float y2, int cls, float conf) {
    boxes.push_back({(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1});
    std::vector<float> s(nc, 0.01f);
    s[cls] = conf;
    scores.push_back(s);
  }
  Tensor tensor() const {
    const int n = static_cast<int>(boxes.size());
    Tensor t(DType::kFloat32, {1, 4 + nc, n});
    float* p = t.ptr<float>();
    for (int a = 0; a < n; ++a) {
      for (int k = 0; k < 4; ++k) p[k * n + a] = boxes[a][k];
      for (int c = 0; c < nc; ++c) p[(4 + c) * n + a] = scores[a][c];
    }
    return t;
  }
};

std::vector<Detection> run(const Head& h, const NmsOptions& opt = {}) {
  return non_max_suppression(h.tensor(), opt).at(0);
}

TEST(PipelineNms, ClassAwareKeepsOverlapsOfDifferentClasses) {
  Head h(3);
  h.add(10, 10, 110, 110, 0, 0.9f);
  h.add(12, 12, 112, 112, 1, 0.8f);  // same place, another class
  h.add(14, 14, 114, 114, 0, 0.7f);  // suppressed by the first
  std::vector<Detection> d = run(h);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].cls, 0);
  EXPECT_FLOAT_EQ(d[0].conf, 0.9f);
  EXPECT_EQ(d[1].cls, 1);
  NmsOptions agnostic;
  agnostic.agnostic = true;
  d = run(h, agnostic);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].cls, 0);
}

TEST(PipelineNms, ConfidenceThresholdIsStrict) {
  Head h(2);
  h.add(0, 0, 10, 10, 0, 0.25f);
  h.add(20, 20, 30, 30, 1, 0.2501f);
  const std::vector<Detection> d = run(h);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].cls, 1);
}

TEST(PipelineNms, MaxDetKeepsTheBest) {
  Head h(1);
  for (int i = 0; i < 10; ++i) h.add(i * 20.f, 0, i * 20.f + 10, 10, 0, 0.3f + i * 0.05f);
  NmsOptions opt;
  opt.max_det = 3;
  const std::vector<Detection> d = run(h, opt);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_FLOAT_EQ(d[0].conf, 0.75f);
  EXPECT_FLOAT_EQ(d[2].conf, 0.65f);
  EXPECT_FLOAT_EQ(d[0].x1, 180.f);
}

TEST(PipelineNms, ClassesFilter) {
  Head h(4);
  h.add(0, 0, 10, 10, 0, 0.9f);
  h.add(20, 0, 30, 10, 2, 0.8f);
  h.add(40, 0, 50, 10, 3, 0.7f);
  NmsOptions opt;
  opt.classes = {2, 3};
  const std::vector<Detection> d = run(h, opt);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].cls, 2);
  EXPECT_EQ(d[1].cls, 3);
}

TEST(PipelineNms, IouThresholdEdge) {
  // Two 10x10 boxes overlapping by 5x10: IoU = 50 / 150, computed in float32 as torchvision does.
  Head h(1);
  h.add(0, 0, 10, 10, 0, 0.9f);
  h.add(5, 0, 15, 10, 0, 0.8f);
  const float iou = 50.f / 150.f;
  NmsOptions opt;
  opt.iou = iou;  // not above the threshold: kept
  EXPECT_EQ(run(h, opt).size(), 2u);
  opt.iou = std::nextafter(iou, 0.f);  // just above: suppressed
  EXPECT_EQ(run(h, opt).size(), 1u);
  // Touching boxes have no overlap, whatever the threshold.
  Head t(1);
  t.add(0, 0, 10, 10, 0, 0.9f);
  t.add(10, 0, 20, 10, 0, 0.8f);
  opt.iou = 0;
  EXPECT_EQ(run(t, opt).size(), 2u);
}

TEST(PipelineNms, EqualScoresKeepAnchorOrder) {
  Head h(1);
  h.add(0, 0, 10, 10, 0, 0.5f);
  h.add(1, 0, 11, 10, 0, 0.5f);
  const std::vector<Detection> d = run(h);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FLOAT_EQ(d[0].x1, 0.f);
}

TEST(PipelineNms, RejectsBadShapes) {
  EXPECT_THROW(non_max_suppression(Tensor(DType::kFloat32, {1, 4, 10})), Error);
  EXPECT_THROW(non_max_suppression(Tensor(DType::kUInt8, {1, 84, 10})), Error);
}

TEST(PipelineScaleBoxes, UndoesLetterboxAndClips) {
  // 548x342 into 640x640: gain 640/548, pad_y = round((640 - 342 * gain) / 2 - 0.1) = 120.
  const LetterboxInfo g = letterbox_geometry(548, 342, 640, 640);
  const float gain = 640.f / 548.f;
  std::vector<Detection> d = {{10.f, 130.f, 100.f, 200.f, 0.9f, 0},
                              {-5.f, 100.f, 700.f, 600.f, 0.5f, 1}};
  scale_boxes(d, g);
  EXPECT_NEAR(d[0].x1, 10.f / gain, 1e-4);
  EXPECT_NEAR(d[0].y1, 10.f / gain, 1e-4);
  EXPECT_NEAR(d[0].y2, 80.f / gain, 1e-4);
  EXPECT_EQ(d[1].x1, 0.f);
  EXPECT_EQ(d[1].y1, 0.f);
  EXPECT_EQ(d[1].x2, 548.f);
  EXPECT_EQ(d[1].y2, 342.f);
}

TEST(PipelineClassNames, CocoTable) {
  ASSERT_EQ(coco80_names().size(), 80u);
  EXPECT_EQ(coco80_names()[0], "person");
  EXPECT_EQ(coco80_names()[32], "sports ball");
  EXPECT_EQ(coco80_names()[79], "toothbrush");
}

TEST(PipelineClassNames, ParsesUltralyticsMetadata) {
  std::string meta = "{";
  for (size_t i = 0; i < coco80_names().size(); ++i)
    meta += cat(i ? ", " : "", i, ": '", coco80_names()[i], "'");
  meta += "}";
  EXPECT_EQ(parse_names(meta), coco80_names());
  EXPECT_EQ(parse_names("{0: \"it's\", 2: 'b\\'c'}"),
            (std::vector<std::string>{"it's", "1", "b'c"}));
  EXPECT_EQ(parse_names("['a', 'b',]"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parse_names("{}"), std::vector<std::string>{});
  EXPECT_THROW(parse_names("{0: person}"), Error);
  EXPECT_THROW(parse_names("{0: 'a'"), Error);
  EXPECT_THROW(parse_names("{0: 'a'} x"), Error);
}

TEST(PipelineClassNames, Summary) {
  std::vector<Detection> d = {{0, 0, 1, 1, 0.9f, 32}, {0, 0, 1, 1, 0.8f, 0}, {0, 0, 1, 1, 0.7f, 0}};
  EXPECT_EQ(detection_summary(d, coco80_names()), "2 persons, 1 sports ball");
  EXPECT_EQ(detection_summary({}, coco80_names()), "(no detections)");
  EXPECT_EQ(detection_summary({{0, 0, 1, 1, 0.5f, 90}}, coco80_names()), "1 90");
}

// ONNX Runtime's output on Ultralytics' input, through our NMS and scaling, against Ultralytics'
// own final detections for the same model.
class PipelineOrtConformance : public ::testing::TestWithParam<const char*> {};

TEST_P(PipelineOrtConformance, MatchesUltralyticsDetections) {
  const std::string stem = GetParam();
  YS_REQUIRE_TESTDATA("reference/ort/" + stem + "_output0.npy");
  YS_REQUIRE_TESTDATA("reference/ultralytics_onnx_predictions.json");
  std::ifstream f(testing::testdata("reference/ultralytics_onnx_predictions.json"));
  const nlohmann::json ref = nlohmann::json::parse(f)["images"][stem + ".jpg"];
  const Tensor out = load_npy(testing::testdata("reference/ort/" + stem + "_output0.npy"));
  ASSERT_EQ(out.shape(), (Shape{1, 84, 8400}));

  std::vector<Detection> dets = non_max_suppression(out).at(0);  // conf 0.25, iou 0.7
  const int h = ref["orig_shape"][0], w = ref["orig_shape"][1];
  scale_boxes(dets, letterbox_geometry(w, h, 640, 640));

  ASSERT_EQ(dets.size(), ref["cls"].size())
      << stem << ": " << detection_summary(dets, coco80_names());
  double max_box = 0, max_conf = 0;
  for (size_t i = 0; i < dets.size(); ++i) {
    const Detection& d = dets[i];
    const double conf = ref["conf"][i].get<double>();
    EXPECT_EQ(d.cls, ref["cls"][i].get<int>()) << stem << " #" << i;
    EXPECT_NEAR(d.conf, conf, 0.01) << stem << " #" << i;
    max_conf = std::max(max_conf, std::abs(d.conf - conf));
    const float box[4] = {d.x1, d.y1, d.x2, d.y2};
    for (int k = 0; k < 4; ++k) {
      const double want = ref["xyxy"][i][k].get<double>();
      EXPECT_NEAR(box[k], want, 1.0) << stem << " #" << i << " [" << k << "]";
      max_box = std::max(max_box, std::abs(box[k] - want));
    }
  }
  std::printf("%s: %s; largest differences: box %.4f px, conf %.5f\n", stem.c_str(),
              detection_summary(dets, coco80_names()).c_str(), max_box, max_conf);
}

INSTANTIATE_TEST_SUITE_P(Images, PipelineOrtConformance,
                         ::testing::Values("messi5", "fruits", "noise"));

}  // namespace
}  // namespace ys
