// Conformance of the whole engine (loader, prepare passes, planner, executor, CPU backend)
// against ONNX Runtime 1.30's outputs stored in ../shared/reference/ort.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backends/cpu/cpu_backend.h"
#include "core/npy.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"
#include "runtime/executor.h"
#include "test_data.h"

namespace ys {
namespace {

Tensor run_model(const std::string& model, const std::string& input_npy) {
  Graph g = load_onnx_file(testing::testdata("models/" + model));
  prepare_graph(g);
  Executor ex(std::move(g), make_cpu_backend());
  Tensor u8 = load_npy(testing::testdata("reference/ort/" + input_npy));
  Tensor in = ex.input(0);
  EXPECT_EQ(in.shape(), u8.shape());
  for (int64_t i = 0; i < u8.numel(); ++i) in.ptr<float>()[i] = u8.ptr<uint8_t>()[i] / 255.f;
  ex.run();
  return ex.read_output(0);
}

struct CocoCase {
  const char* image;
};

class YoloV8nConformance : public ::testing::TestWithParam<CocoCase> {};

TEST_P(YoloV8nConformance, MatchesOnnxRuntime) {
  const std::string image = GetParam().image;
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  YS_REQUIRE_TESTDATA("reference/ort/" + image + "_output0.npy");
  Tensor ours = run_model("yolov8n-coco.onnx", image + "_input_u8.npy");
  Tensor ref = load_npy(testing::testdata("reference/ort/" + image + "_output0.npy"));
  ASSERT_EQ(ours.shape(), ref.shape());
  const int64_t anchors = ref.dim(2);
  double box_err = 0, score_err = 0;
  for (int64_t r = 0; r < ref.dim(1); ++r) {
    for (int64_t a = 0; a < anchors; ++a) {
      const int64_t i = r * anchors + a;
      const double d = std::fabs(ours.ptr<float>()[i] - ref.ptr<float>()[i]);
      (r < 4 ? box_err : score_err) = std::max(r < 4 ? box_err : score_err, d);
    }
  }
  EXPECT_LE(box_err, 0.05) << "largest box difference in pixels";
  EXPECT_LE(score_err, 1e-4) << "largest class-score difference";
}

INSTANTIATE_TEST_SUITE_P(Images, YoloV8nConformance,
                         ::testing::Values(CocoCase{"messi5"}, CocoCase{"fruits"},
                                           CocoCase{"noise"}),
                         [](const auto& info) { return std::string(info.param.image); });

class RandomWeightConformance : public ::testing::TestWithParam<const char*> {};

TEST_P(RandomWeightConformance, MatchesOnnxRuntimeRelativeToMax) {
  const std::string model = GetParam();
  YS_REQUIRE_TESTDATA("models/" + model + ".onnx");
  YS_REQUIRE_TESTDATA("reference/ort/" + model + "_messi5_output0.npy");
  Tensor ours = run_model(model + ".onnx", "messi5_input_u8.npy");
  Tensor ref = load_npy(testing::testdata("reference/ort/" + model + "_messi5_output0.npy"));
  ASSERT_EQ(ours.shape(), ref.shape());
  double max_abs = 0, max_err = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    max_abs = std::max(max_abs, static_cast<double>(std::fabs(ref.ptr<float>()[i])));
    max_err = std::max(max_err,
                       static_cast<double>(std::fabs(ours.ptr<float>()[i] - ref.ptr<float>()[i])));
  }
  ASSERT_GT(max_abs, 0);
  EXPECT_LE(max_err / max_abs, 1e-3)
      << "max error " << max_err << " against max |value| " << max_abs;
}

INSTANTIATE_TEST_SUITE_P(Models, RandomWeightConformance,
                         ::testing::Values("yolov5nu-random", "yolo11n-random"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace ys
