// Issue 12.5, end to end: no output is lost or cut silently. A full disk is played by a file size
// limit (RLIMIT_FSIZE through `ulimit -f` or `prlimit --fsize`, with SIGXFSZ ignored so that a
// write past it fails with EFBIG as one on a full disk fails with ENOSPC).
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_data.h"
#include "yolo_runner.h"

namespace ys {
namespace {

namespace fs = std::filesystem;
using YoloOutputs = testing::YoloRunner;

const std::string kNoXfsz = "trap '' XFSZ;";

TEST_F(YoloOutputs, LabelsOnAFullDiskExitOneNamingThem) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  YS_REQUIRE_TESTDATA("data/images/messi5.jpg");
  const auto r = yolo("predict model=" + ys::testing::testdata("models/yolov8n-coco.onnx") +
                          " source=" + ys::testing::testdata("data/images/messi5.jpg") +
                          " save=False save_txt=True threads=1",
                      kNoXfsz, "prlimit --fsize=100");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("the labels of ")) << r.output;
  EXPECT_TRUE(r.has("messi5.txt")) << r.output;
  EXPECT_TRUE(r.has("are lost")) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "runs/detect/predict/labels/messi5.txt"))
      << "a label file is whole or absent, never empty";
}

TEST_F(YoloOutputs, TruncatedVideoExitsOneNamingIt) {
  const auto r = yolo("predict frames=20 imgsz=64 threads=1", kNoXfsz + " ulimit -f 300;");
  if (r.has("annotated video needs OpenCV")) GTEST_SKIP() << "this build writes no video";
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("synthetic.avi")) << r.output;
  EXPECT_TRUE(r.has("is incomplete")) << r.output;
}

// Fail early: predictions.json is written at the end, so an unwritable folder used to surface
// only after the whole run.
TEST_F(YoloOutputs, RunFolderThatTakesNoFileFailsBeforeTheFirstFrame) {
  const auto r = yolo("predict frames=3 imgsz=64 threads=1 save=False save_json=True", kNoXfsz,
                      "prlimit --fsize=1");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("runs/detect/predict cannot be written")) << r.output;
  EXPECT_FALSE(r.has("(frame 1/")) << r.output;
}

TEST_F(YoloOutputs, PredictionsJsonNumbersFramesAsTheLabelFiles) {
  const auto r = yolo("predict frames=2 imgsz=64 threads=1 save=False save_json=True");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j =
      nlohmann::json::parse(std::ifstream(dir_ / "runs/detect/predict/predictions.json"));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["frame"], 1);
  EXPECT_EQ(j[1]["frame"], 2);
}

}  // namespace
}  // namespace ys
