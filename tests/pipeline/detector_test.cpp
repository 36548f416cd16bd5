// End-to-end conformance of the Detector (letterbox, inference, NMS, scaling) against
// Ultralytics' own predictions with the same ONNX model, on images and video frames; and the GPU
// pipeline (letterbox, decoding and NMS on the device) against the host one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#ifdef YS_HAVE_CUDA
#include <cuda_runtime.h>

#include "backends/cuda/cuda_backend.h"
#endif
#include "core/error.h"
#include "model/onnx_export.h"
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
  YS_REQUIRE_TESTDATA("reference/ultralytics_onnx_predictions.json");
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

// Two models the loader accepts but no detector can run: one with no graph input at all, and one
// whose node is malformed. Each error names the file, and the second also the node.
TEST(Detector, ModelErrorsNameTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / "ys_detector_model_errors";
  std::filesystem::create_directories(dir);
  Graph no_input;
  no_input.opset = 17;
  Value c;
  c.name = "c";
  c.shape = {1, 84, 8};
  c.data = Tensor(DType::kFloat32, c.shape);
  const int ci = no_input.add_value(c);
  Value out;
  out.name = "output0";
  const int oi = no_input.add_value(out);
  Node identity;
  identity.name = "identity";
  identity.op = "Identity";
  identity.inputs = {ci};
  identity.outputs = {oi};
  no_input.nodes.push_back(identity);
  no_input.outputs = {oi};
  const std::string no_input_path = (dir / "no_input.onnx").string();
  export_onnx(no_input, no_input_path);

  Graph bad_node;
  bad_node.opset = 17;
  Value x;
  x.name = "images";
  x.shape = {1, 3, 32, 32};
  const int xi = bad_node.add_value(x);
  bad_node.inputs = {xi};
  Value w;
  w.name = "w";
  w.shape = {4, 3, 3, 3};
  w.data = Tensor(DType::kFloat32, w.shape);
  const int wi = bad_node.add_value(w);
  Value y;
  y.name = "y";
  const int yi = bad_node.add_value(y);
  Node conv;
  conv.name = "the_conv";
  conv.op = "Conv";
  conv.inputs = {xi, wi};
  conv.outputs = {yi};
  conv.attrs["strides"] = std::vector<int64_t>{0, 0};
  bad_node.nodes.push_back(conv);
  bad_node.outputs = {yi};
  const std::string bad_node_path = (dir / "bad_node.onnx").string();
  export_onnx(bad_node, bad_node_path);

  for (const auto& [path, also] : {std::pair{no_input_path, std::string("no graph input")},
                                   std::pair{bad_node_path, std::string("the_conv")}}) {
    DetectorOptions o;
    o.model = path;
    try {
      Detector det(o);
      ADD_FAILURE() << path << " was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("model '" + path + "'"), std::string::npos) << what;
      EXPECT_NE(what.find(also), std::string::npos) << what << "\n(expected: " << also << ")";
    }
  }
  std::filesystem::remove_all(dir);
}

#define YS_REQUIRE_GPU_AND_MODEL()                      \
  do {                                                  \
    std::string why = "this build has no CUDA backend"; \
    if (!gpu_available(why)) GTEST_SKIP() << why;       \
    YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");    \
    YS_REQUIRE_TESTDATA("data/images/messi5.jpg");      \
  } while (0)

bool gpu_available([[maybe_unused]] std::string& why) {
#ifdef YS_HAVE_CUDA
  return cuda_device_available(&why);
#else
  return false;
#endif
}

std::vector<std::string> shared_images() {
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(testing::testdata("data/images")))
    paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string show(const Detection& d) {
  return cat("[", d.x1, ", ", d.y1, ", ", d.x2, ", ", d.y2, "] conf ", d.conf, " class ", d.cls);
}

// Two detectors share no cuDNN algorithm choice (each times its own), so their outputs may differ
// in the last bits: same count and classes, boxes within 0.05 px and scores within 1e-3, each
// box of `want` matched to the closest unused one of its class in `got`.
void expect_close(const std::vector<Detection>& got, const std::vector<Detection>& want,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  std::vector<bool> used(got.size(), false);
  for (const Detection& w : want) {
    size_t best_i = got.size();
    float best = INFINITY;
    for (size_t i = 0; i < got.size(); ++i) {
      if (used[i] || got[i].cls != w.cls) continue;
      const float d = std::max({std::fabs(got[i].x1 - w.x1), std::fabs(got[i].y1 - w.y1),
                                std::fabs(got[i].x2 - w.x2), std::fabs(got[i].y2 - w.y2)});
      if (d < best) best = d, best_i = i;
    }
    ASSERT_LT(best_i, got.size()) << what << ": nothing of class " << w.cls << " for " << show(w);
    used[best_i] = true;
    EXPECT_LE(best, 0.05f) << what << ": GPU pipeline " << show(got[best_i]) << ", host "
                           << show(w);
    EXPECT_NEAR(got[best_i].conf, w.conf, 1e-3) << what << ": " << show(w);
  }
}

#ifdef YS_HAVE_CUDA
// The GPU pipeline on one Detector's own tensors: the input it wrote must be the host letterbox
// bit for bit, and its detections the host's decoding, NMS and scaling of the output it read,
// field for field.
void expect_gpu_pipeline_exact(const DetectorOptions& o) {
  Detector det(o);
  ASSERT_TRUE(det.uses_gpu_pipeline());
  const Shape in_shape = det.model().input_shape;
  const int h = static_cast<int>(in_shape[2]), w = static_cast<int>(in_shape[3]);
  for (const std::string& path : shared_images()) {
    SCOPED_TRACE(path);
    const Tensor img = read_image(path);
    const std::vector<Detection> got = det.detect(img);
    for (PipelineStage s : {PipelineStage::kPreprocess, PipelineStage::kInference,
                            PipelineStage::kBoxDecode, PipelineStage::kNms})
      EXPECT_GT(det.last_stage_ms()[static_cast<size_t>(s)], 0) << static_cast<int>(s);

    Tensor in(DType::kFloat32, in_shape), want_in(DType::kFloat32, in_shape);
    ASSERT_EQ(
        cudaMemcpy(in.data(), det.executor().input(0).data(), in.nbytes(), cudaMemcpyDeviceToHost),
        cudaSuccess);
    const LetterboxInfo info = letterbox(img, w, h, want_in.ptr<float>(), 0);
    const size_t slot = want_in.nbytes() / static_cast<size_t>(in_shape[0]);
    int64_t differ = 0;
    for (size_t i = 0; i < slot / sizeof(float); ++i)
      differ += std::memcmp(in.ptr<float>() + i, want_in.ptr<float>() + i, sizeof(float)) != 0;
    EXPECT_EQ(differ, 0) << "input values that differ from the host letterbox, of "
                         << slot / sizeof(float);

    const Tensor out = det.executor().read_output(0);
    const int channels = static_cast<int>(out.dim(1)), anchors = static_cast<int>(out.dim(2));
    const std::vector<Detection> cand =
        decode_candidates(out.ptr<float>(), channels, anchors, o.nms);
    std::vector<Detection> want = nms_candidates(cand, o.nms);
    scale_boxes(want, info);
    EXPECT_EQ(det.last_candidates(), static_cast<int64_t>(cand.size()));
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const bool same =
          std::memcmp(&got[i].x1, &want[i].x1, 5 * sizeof(float)) == 0 && got[i].cls == want[i].cls;
      EXPECT_TRUE(same) << "detection " << i << ": GPU " << show(got[i]) << ", host "
                        << show(want[i]);
    }
  }
}
#endif

TEST(DetectorGpuPipeline, EqualsHostPipelineOnItsOwnTensors) {
  YS_REQUIRE_GPU_AND_MODEL();
#ifdef YS_HAVE_CUDA
  DetectorOptions o = coco_options();
  o.device = "0";
  expect_gpu_pipeline_exact(o);
  o.nms.conf = 0.01f;  // thousands of candidates, hundreds of detections
  o.nms.iou = 0.5;
  o.nms.max_det = 100;
  expect_gpu_pipeline_exact(o);
  o.nms.agnostic = true;
  o.nms.classes = {0, 32};
  expect_gpu_pipeline_exact(o);
#endif
}

TEST(DetectorGpuPipeline, GivesTheHostPipelinesDetectionsOnSharedImages) {
  YS_REQUIRE_GPU_AND_MODEL();
  const std::vector<std::string> paths = shared_images();
  ASSERT_GE(paths.size(), 2u);
  // The COCO export has batch 1 baked in: one image at a time with trained weights.
  DetectorOptions o = coco_options();
  o.device = "0";
  Detector on(o);
  o.gpu_pipeline = false;
  Detector off(o);
  EXPECT_TRUE(on.uses_gpu_pipeline());
  EXPECT_FALSE(off.uses_gpu_pipeline());
  for (const std::string& path : paths) {
    const Tensor a = read_image(path);
    expect_close(on.detect(a), off.detect(a), path);
  }
  // Batches of 2, full and partial, on the built-in architecture (any batch size); a low
  // threshold gives its synthetic weights plenty of boxes to agree on.
  DetectorOptions b;
  b.model = "yolov8n.yaml";
  b.device = "0";
  b.batch = 2;
  b.nms.conf = 0.01f;
  Detector bon(b);
  b.gpu_pipeline = false;
  Detector boff(b);
  for (size_t i = 0; i < paths.size(); ++i) {
    const Tensor x = read_image(paths[i]), y = read_image(paths[(i + 1) % paths.size()]);
    const auto got = bon.detect_batch({&x, &y}), want = boff.detect_batch({&x, &y});
    expect_close(got[0], want[0], paths[i] + " (batch slot 0)");
    expect_close(got[1], want[1], paths[(i + 1) % paths.size()] + " (batch slot 1)");
    expect_close(bon.detect(x), boff.detect(x), paths[i] + " (alone in a batch of 2)");
  }
}

// The whole pipeline on the GPU (FP32, letterbox, decoding and NMS on the device) against
// Ultralytics' detections, as the host pipeline is held above.
TEST(DetectorConformance, ImagesMatchUltralyticsOnTheGpu) {
  YS_REQUIRE_GPU_AND_MODEL();
  YS_REQUIRE_TESTDATA("reference/ultralytics_onnx_predictions.json");
  DetectorOptions o = coco_options();
  o.device = "0";
  Detector det(o);
  json ref = reference();
  for (const auto& [name, expected] : ref["images"].items())
    expect_same(det.detect(read_image(testing::testdata("data/images/" + name))), expected, name);
}

}  // namespace
}  // namespace ys
