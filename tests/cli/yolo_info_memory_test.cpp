// `yolo info` sizes a model's memory at another imgsz and batch without allocating it (issue 15.5):
// the planner's peak and the largest layer outputs, in binary units, even where the arena would
// not fit in the memory the process may use.
#include <gtest/gtest.h>

#include <string>

#include "yolo_runner.h"

namespace ys {
namespace {

using YoloInfoMemory = testing::YoloRunner;

TEST_F(YoloInfoMemory, SizesTheDefaultInputAndNamesTheLargestLayers) {
  const testing::YoloResult r = yolo("info model=yolov8n.yaml");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(r.has("memory, planned without allocating")) << r.output;
  EXPECT_TRUE(r.has("at 640x640, batch 1: the arena's peak is ")) << r.output;
  // Conv #0 of YOLOv8n: [1, 16, 320, 320] float32, 6.25 MiB.
  EXPECT_TRUE(r.has("the Conv #0 output alone is 6.2 MiB [1, 16, 320, 320]")) << r.output;
}

// At 3840x3840 and batch 8 the arena alone is many GiB; with 3 GiB of address space the command
// still answers, because nothing is allocated.
TEST_F(YoloInfoMemory, AnswersAtASizeThatWouldNotFit) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space: no ulimit -v under it";
#endif
  const testing::YoloResult r =
      yolo("info model=yolov8n.yaml imgsz=3840 batch=8", "ulimit -v 3145728 &&");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(r.has("at 3840x3840, batch 8: the arena's peak is ")) << r.output;
  // 8 x 16 x 1920 x 1920 float32 = 1,887,436,800 bytes.
  EXPECT_TRUE(r.has("the Conv #0 output alone is 1.76 GiB [8, 16, 1920, 1920]")) << r.output;
  const size_t at = r.output.find("the arena's peak is ");
  ASSERT_NE(at, std::string::npos);
  const double arena_gib = std::stod(r.output.substr(at + 20));
  EXPECT_GT(arena_gib, 3.0) << "the arena is larger than the address space the command had";
  EXPECT_NE(r.output.find(" GiB", at), std::string::npos);
}

}  // namespace
}  // namespace ys
