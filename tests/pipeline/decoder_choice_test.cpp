// decoder=auto|cpu|nvdec|nvjpeg (issue 20): every fallback line, on machines played through
// DecoderMachine, and the probe on this machine itself.
#include "pipeline/decoder_choice.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "test_data.h"

namespace ys {
namespace {

const DecoderMachine kNoGpu{};
const DecoderMachine kGpuNoDriver{true, false, false, false};
const DecoderMachine kDriverNoNvdec{true, true, false, true};
const DecoderMachine kReady{true, true, true, true};

std::string h264() {
  return testing::source_dir() + "/tests/fixtures/video/vtest_h264.mp4";
}

TEST(DecoderChoice, CpuAndAutoDecodeOnTheCpuSilently) {
  for (const auto* m : {&kNoGpu, &kReady}) {
    for (const char* req : {"cpu", "auto"}) {
      const DecoderChoice c = choose_decoder(req, h264(), *m);
      EXPECT_EQ(c.kind, DecoderKind::kCpu) << req;
      EXPECT_EQ(c.note, "") << req;
    }
  }
}

TEST(DecoderChoice, NvdecSaysInOneLineWhyItFallsBack) {
  EXPECT_EQ(choose_decoder("nvdec", h264(), kNoGpu).note,
            "decoder=nvdec: NVDEC needs a CUDA device (device=0); decoding on the CPU");
  EXPECT_EQ(choose_decoder("nvdec", h264(), kGpuNoDriver).note,
            "decoder=nvdec: no NVIDIA driver here (libcuda.so.1); decoding on the CPU");
  EXPECT_EQ(choose_decoder("nvdec", h264(), kDriverNoNvdec).note,
            "decoder=nvdec: the NVIDIA driver here has no video decoder (libnvcuvid.so.1); "
            "decoding on the CPU");
  EXPECT_EQ(choose_decoder("nvdec", "photos/", kReady).note,
            "decoder=nvdec: photos/ is not a video file or stream; decoding on the CPU");
  for (const auto* m : {&kNoGpu, &kGpuNoDriver, &kDriverNoNvdec, &kReady}) {
    const DecoderChoice c = choose_decoder("nvdec", h264(), *m);
    EXPECT_EQ(c.kind, DecoderKind::kCpu);
    EXPECT_EQ(c.note.find('\n'), std::string::npos) << c.note;
  }
}

TEST(DecoderChoice, NvdecOnAReadyMachineReadsTheCodec) {
#ifdef YS_HAVE_LIBAV
  EXPECT_EQ(choose_decoder("nvdec", h264(), kReady).note,
            "decoder=nvdec: the NVDEC frame path is not in the frame loop yet (issue 20); "
            "decoding on the CPU");
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  EXPECT_EQ(choose_decoder("nvdec", testing::testdata("data/video/vtest.avi"), kReady).note,
            "decoder=nvdec: vtest.avi is msmpeg4v3 (MPEG-4 part 2 Microsoft variant version 3), "
            "which NVDEC cannot decode; decoding on the CPU");
  const std::string broken = testing::source_dir() + "/tests/fixtures/video/missing.mp4";
  const DecoderChoice c = choose_decoder("nvdec", broken, kReady);
  EXPECT_EQ(c.kind, DecoderKind::kCpu);
  EXPECT_NE(c.note.find("the demuxer cannot read it (" + broken + ": no such video file)"),
            std::string::npos)
      << c.note;
#else
  EXPECT_EQ(choose_decoder("nvdec", h264(), kReady).note,
            "decoder=nvdec: this build has no libavformat to demux it (Debian "
            "libavformat-dev); decoding on the CPU");
#endif
}

TEST(DecoderChoice, NvjpegIsForImagesAndFallsBackLikeNvdec) {
  EXPECT_EQ(choose_decoder("nvjpeg", h264(), kReady).note,
            "decoder=nvjpeg: nvJPEG decodes image files, not " + h264() + "; decoding on the CPU");
  EXPECT_EQ(choose_decoder("nvjpeg", "photos/", kNoGpu).note,
            "decoder=nvjpeg: nvJPEG needs a CUDA device (device=0); decoding on the CPU");
  EXPECT_EQ(choose_decoder("nvjpeg", "photos/", DecoderMachine{true, true, true, false}).note,
            "decoder=nvjpeg: libnvjpeg is not installed; decoding on the CPU");
}

TEST(DecoderChoice, RefusesAnUnknownDecoder) {
  try {
    choose_decoder("vaapi", h264(), kReady);
    FAIL() << "accepted decoder=vaapi";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_STREQ(e.what(), "decoder=vaapi is not one of auto, cpu, nvdec, nvjpeg");
  }
}

TEST(DecoderChoice, ProbesThisMachine) {
  EXPECT_FALSE(probe_decoder_machine(false).cuda_driver);  // device=cpu loads nothing
  void* cuda = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (cuda) {
    dlclose(cuda);
    EXPECT_TRUE(probe_decoder_machine(true).cuda_driver);
    GTEST_SKIP() << "this machine has an NVIDIA driver: the no-driver line is tested above only";
  }
  const DecoderMachine here = probe_decoder_machine(true);
  EXPECT_FALSE(here.cuda_driver);
  EXPECT_EQ(choose_decoder("nvdec", h264(), here).note,
            "decoder=nvdec: no NVIDIA driver here (libcuda.so.1); decoding on the CPU");
}

}  // namespace
}  // namespace ys
