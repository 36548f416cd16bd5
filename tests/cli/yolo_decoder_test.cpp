// decoder= through the `yolo` binary (issue 20): on this machine (no CUDA device in the run) every
// request decodes on the CPU and finishes the run; nvdec and nvjpeg say why in exactly one line,
// auto and cpu say nothing, and a decoder not in the list is refused.
#include <gtest/gtest.h>

#include <string>

#include "test_data.h"
#include "yolo_runner.h"

namespace ys {
namespace {

class YoloDecoder : public testing::YoloRunner {
 protected:
  // The 1080p fixture thinned to 3 frames at a small size: quick on two loaded cores.
  testing::YoloResult predict(const std::string& decoder_arg) {
    const std::string clip = testing::source_dir() + "/tests/fixtures/video/clip_1080p_h264.mp4";
    return yolo("predict source='" + clip + "' imgsz=64 vid_stride=40 save=False verbose=False " +
                decoder_arg);
  }
};

int count_lines_with(const std::string& text, const std::string& what) {
  int n = 0;
  size_t at = 0;
  while ((at = text.find(what, at)) != std::string::npos) {
    ++n;
    at += what.size();
  }
  return n;
}

TEST_F(YoloDecoder, NvdecWithoutACudaDeviceSaysSoOnceAndDecodesOnTheCpu) {
  const auto r = predict("decoder=nvdec");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(count_lines_with(r.output, "decoder=nvdec"), 1) << r.output;
  EXPECT_TRUE(r.has("decoder=nvdec: NVDEC needs a CUDA device (device=0); decoding on the CPU\n"))
      << r.output;
  EXPECT_TRUE(r.has("Throughput: 3 images in ")) << r.output;
}

TEST_F(YoloDecoder, NvjpegOnAVideoSaysSoOnce) {
  const auto r = predict("decoder=nvjpeg");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(count_lines_with(r.output, "decoder=nvjpeg"), 1) << r.output;
  EXPECT_TRUE(r.has("nvJPEG decodes image files, not ")) << r.output;
}

TEST_F(YoloDecoder, AutoAndCpuDecodeOnTheCpuWithoutANote) {
  for (const char* arg : {"", "decoder=auto", "decoder=cpu"}) {
    const auto r = predict(arg);
    ASSERT_EQ(r.code, 0) << arg << "\n" << r.output;
    EXPECT_FALSE(r.has("decoder=")) << arg << "\n" << r.output;
    EXPECT_TRUE(r.has("Throughput: 3 images in ")) << arg << "\n" << r.output;
  }
}

TEST_F(YoloDecoder, RefusesADecoderNotInTheList) {
  const auto r = predict("decoder=vaapi");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(
      r.has("'decoder=vaapi' is an invalid value. 'decoder' must be one of 'auto', "
            "'cpu', 'nvdec', 'nvjpeg'"))
      << r.output;
}

}  // namespace
}  // namespace ys
