// Issue 12.6: what a newcomer from Ultralytics runs into first, end to end.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "yolo_runner.h"

namespace ys {
namespace {

namespace fs = std::filesystem;
using YoloNewcomer = testing::YoloRunner;

TEST_F(YoloNewcomer, PytorchModelSaysHowToExportIt) {
  for (const char* mode : {"predict", "export"}) {
    const auto r = yolo(std::string(mode) + " model=yolov8n.pt");
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_TRUE(r.has("does not read PyTorch files")) << r.output;
    EXPECT_TRUE(r.has("'yolo export model=yolov8n.pt format=onnx'")) << r.output;
    EXPECT_TRUE(r.has("model=yolov8n.onnx")) << r.output;
  }
}

TEST_F(YoloNewcomer, NoGpuSaysSoAndSuggestsTheCpu) {
  if (fs::exists("/proc/driver/nvidia/version"))
    GTEST_SKIP() << "this machine has an NVIDIA driver";
  const auto r = yolo("predict device=0 frames=1 imgsz=64");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("no NVIDIA GPU") || r.has("no CUDA backend")) << r.output;
  EXPECT_TRUE(r.has("device=cpu")) << r.output;
  EXPECT_FALSE(r.has("driver version")) << r.output;
}

TEST_F(YoloNewcomer, UltralyticsKeysThatChangeNoResultWarnAndRun) {
  const auto r = yolo(
      "predict frames=1 imgsz=64 threads=1 save=False show=True save_crop visualize=True "
      "retina_masks=True stream_buffer=True augment=False embed=None");
  EXPECT_EQ(r.code, 0) << r.output;
  for (const char* key : {"show", "save_crop", "visualize", "retina_masks", "stream_buffer"})
    EXPECT_TRUE(r.has(std::string("'") + key + "=True' is ignored")) << key << "\n" << r.output;
  EXPECT_FALSE(r.has("augment")) << "augment=False asks for nothing";
}

TEST_F(YoloNewcomer, UltralyticsKeysThatChangeResultsAreRefused) {
  for (const char* arg : {"augment=True", "augment", "embed=[15]"}) {
    const auto r = yolo(std::string("predict frames=1 imgsz=64 ") + arg);
    EXPECT_EQ(r.code, 2) << arg << "\n" << r.output;
    EXPECT_TRUE(r.has("is not supported")) << arg << "\n" << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "runs")) << arg;
  }
}

TEST_F(YoloNewcomer, ExportedSyntheticWeightsAreLabelledWhereverTheyLoad) {
  ASSERT_EQ(yolo("export model=yolov8n.yaml imgsz=64").code, 0);
  const auto info = yolo("info model=yolov8n.onnx");
  EXPECT_EQ(info.code, 0) << info.output;
  EXPECT_TRUE(info.has("SYNTHETIC")) << info.output;
  const auto run = yolo(
      "predict model=yolov8n.onnx frames=3 threads=1 save=False profile=True "
      "profile_schedule=0,1,2");
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_TRUE(run.has("SYNTHETIC weights")) << run.output;
  const auto summary =
      nlohmann::json::parse(std::ifstream(dir_ / "runs/detect/predict/profile/summary.json"));
  EXPECT_TRUE(summary["model"]["synthetic_weights"].get<bool>());
}

TEST_F(YoloNewcomer, ExportNeverOverwritesUnasked) {
  std::ofstream(dir_ / "yolov8n.onnx") << "a trained model";
  const auto r = yolo("export model=yolov8n.yaml imgsz=64");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("exist_ok=True")) << r.output;
  EXPECT_EQ(fs::file_size(dir_ / "yolov8n.onnx"), 15u) << "the file is untouched";
  const auto again = yolo("export model=yolov8n.yaml imgsz=64 exist_ok=True");
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_GT(fs::file_size(dir_ / "yolov8n.onnx"), 15u);
}

// Ultralytics' (and our builtin test's) count: learned weights only, not anchors or strides.
TEST_F(YoloNewcomer, InfoCountsParametersAsUltralytics) {
  const auto r = yolo("info model=yolov8n.yaml");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(r.has("parameters: 3151904,")) << r.output;
}

// The Speed line averages warm frames only: one warm-up inference runs before the first frame.
TEST_F(YoloNewcomer, ColdFirstInferenceIsAWarmUpOutsideSpeed) {
  const auto r = yolo("predict frames=2 imgsz=64 threads=1 save=False");
  EXPECT_EQ(r.code, 0) << r.output;
  const size_t warm = r.output.find("Warm-up: "), first = r.output.find("(frame 1/");
  ASSERT_NE(warm, std::string::npos) << r.output;
  ASSERT_NE(first, std::string::npos) << r.output;
  EXPECT_LT(warm, first) << r.output;
  EXPECT_TRUE(r.has("not counted in Speed")) << r.output;
}

}  // namespace
}  // namespace ys
