// The what-if runner on a real Detector (a built-in YOLOv8n at 96x96 on the CPU): it measures a
// setting on recorded frames and says why a setting it cannot try here was not tried.
#include "session/whatif.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ys {
namespace {

DetectorOptions tiny_detector() {
  DetectorOptions o;
  o.imgsz_w = o.imgsz_h = 96;
  o.threads = 1;
  return o;
}

TEST(WhatIf, MeasuresAThreadsSettingOnRecordedFrames) {
  Detector base(tiny_detector());
  std::vector<Tensor> frames;
  for (int i = 0; i < 3; ++i) {
    Tensor t(DType::kUInt8, {96, 128, 3});
    for (int64_t k = 0; k < t.numel(); ++k) t.ptr<uint8_t>()[k] = static_cast<uint8_t>(k * 7 + i);
    frames.push_back(std::move(t));
  }
  Finding f;
  f.settings = {{"threads", "2"}};
  verify_finding(f, base, frames, 10.0, false);
  ASSERT_TRUE(f.measured_gain_pct.has_value()) << f.measured_how;
  EXPECT_NE(f.measured_how.find("threads=2"), std::string::npos) << f.measured_how;
  EXPECT_EQ(base.options().threads, 1) << "the baseline detector is left as it was";
}

TEST(WhatIf, GpuSettingsAreNotTriedWithoutAGpu) {
  Detector base(tiny_detector());
  std::vector<Tensor> frames(1, Tensor(DType::kUInt8, {96, 96, 3}));
  Finding f;
  f.settings = {{"half", "True"}};
  verify_finding(f, base, frames, 10.0, false);
  EXPECT_FALSE(f.measured_gain_pct.has_value());
  EXPECT_NE(f.measured_how.find("needs a CUDA device"), std::string::npos) << f.measured_how;
}

}  // namespace
}  // namespace ys
