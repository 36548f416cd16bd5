// decoder=nvdec's host side (issue 20), on the CPU: where NVDEC cannot be fed, opening the source
// says why in one line (or nothing, for auto) and the caller decodes on the CPU; frames that a
// device decoder letterboxed keep their size for the outputs, and the frame loop refuses them
// on a detector without the GPU pipeline or out of their slots rather than detecting the wrong
// pixels. The GPU side is backend_nvdec_test's.
#include "pipeline/nvdec_source.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "pipeline/frame_loop.h"
#include "test_data.h"

namespace ys {
namespace {

DetectorOptions tiny_cpu() {
  DetectorOptions o;
  o.model = "yolov8n.yaml";
  o.imgsz_h = o.imgsz_w = 32;
  o.threads = 1;
  o.batch = 2;
  return o;
}

std::string h264() {
  return testing::source_dir() + "/tests/fixtures/video/vtest_h264.mp4";
}

TEST(NvdecSource, WithoutTheGpuPipelineSaysSoInOneLineAndOpensNothing) {
  Detector det(tiny_cpu());
  ASSERT_FALSE(det.uses_gpu_pipeline());
  const NvdecSourceResult r = open_nvdec_source(h264(), det, 1, false);
  EXPECT_EQ(r.source, nullptr);
  EXPECT_EQ(r.note,
            "decoder=nvdec: NVDEC feeds the GPU pipeline's input, and this detector has none (a "
            "CUDA device with gpu_pipeline=True); decoding on the CPU");
  const NvdecSourceResult quiet = open_nvdec_source(h264(), det, 1, false, "auto");
  EXPECT_EQ(quiet.source, nullptr);
  EXPECT_EQ(quiet.note, "") << "auto falls back silently";
}

TEST(NvdecSource, RefusesABadVidStrideInTheArgumentsWords) {
  Detector det(tiny_cpu());
  EXPECT_THROW(open_nvdec_source(h264(), det, 0, false), Error);
}

TEST(NvdecSource, DeviceFramesKeepTheirSizeForTheOutputs) {
  Frame f;
  f.device_slot = 0;
  f.device_width = 768;
  f.device_height = 576;
  EXPECT_TRUE(f.on_device());
  EXPECT_EQ(f.width(), 768);
  EXPECT_EQ(f.height(), 576);
  f.image = Tensor(DType::kUInt8, {10, 20, 3});  // save=True: host pixels came back
  EXPECT_EQ(f.width(), 20);
  EXPECT_EQ(f.height(), 10);
  EXPECT_FALSE(Frame{}.on_device());
}

// Hands out frames that claim to be letterboxed into the detector's input already.
class DeviceFrames : public Source {
 public:
  explicit DeviceFrames(std::vector<int> slots) : slots_(std::move(slots)) {}
  bool next(Frame& f) override {
    if (at_ >= slots_.size()) return false;
    f = Frame{};
    f.source = "device.h264";
    f.kind = FrameKind::kVideo;
    f.index = static_cast<int64_t>(at_);
    f.device_slot = slots_[at_++];
    f.device_width = 64;
    f.device_height = 48;
    return true;
  }
  std::string describe() const override { return "device frames"; }

 private:
  std::vector<int> slots_;
  size_t at_ = 0;
};

int64_t run(Detector& det, Source& source) {
  FrameLoop loop{
      .detectors = {&det}, .source = &source, .deliver = [](const DetectedBatch&) { return true; }};
  return run_frame_loop(loop);
}

TEST(NvdecSource, TheFrameLoopRefusesDeviceFramesWithoutTheGpuPipeline) {
  Detector det(tiny_cpu());
  DeviceFrames frames({0, 1});
  try {
    run(det, frames);
    FAIL() << "detected frames whose pixels are nowhere";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_STREQ(e.what(),
                 "frames letterboxed on the device need the GPU pipeline (a CUDA device and "
                 "gpu_pipeline=True)");
  }
}

TEST(NvdecSource, TheFrameLoopRefusesDeviceFramesOutOfTheirSlots) {
  Detector det(tiny_cpu());
  DeviceFrames frames({1, 0});
  try {
    run(det, frames);
    FAIL() << "detected a batch whose input slots hold other frames";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    EXPECT_STREQ(e.what(),
                 "frame 0 of device.h264 is in slot 1 of the device input, not 0 (decoder=nvdec "
                 "reads one batch at a time into one detector)");
  }
}

TEST(NvdecSource, DetectLetterboxedChecksItsArguments) {
  Detector det(tiny_cpu());
  EXPECT_THROW(det.detect_letterboxed({}), Error);
  EXPECT_THROW(det.detect_letterboxed({{1, 1}, {1, 1}, {1, 1}}), Error);  // batch 2
  EXPECT_THROW(det.device_input(), Error);                                // no GPU pipeline
}

}  // namespace
}  // namespace ys
