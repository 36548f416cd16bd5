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

TEST(DecoderChoice, CpuAlwaysAndAutoWithoutAReadyGpuDecodeOnTheCpuSilently) {
  for (const auto* m : {&kNoGpu, &kGpuNoDriver, &kDriverNoNvdec, &kReady}) {
    for (const char* req : {"cpu", "auto"}) {
      if (m == &kReady && std::string(req) == "auto") continue;  // the next test's
      const DecoderChoice c = choose_decoder(req, h264(), *m);
      EXPECT_EQ(c.kind, DecoderKind::kCpu) << req;
      EXPECT_EQ(c.note, "") << req;
    }
  }
  EXPECT_EQ(choose_decoder("auto", "photos/", kReady).kind, DecoderKind::kCpu);
  EXPECT_EQ(choose_decoder("auto", "synthetic", kReady).kind, DecoderKind::kCpu);
}

TEST(DecoderChoice, AutoTakesNvdecForACodecItDecodesOnAReadyGpu) {
#ifdef YS_HAVE_LIBAV
  const DecoderChoice c = choose_decoder("auto", h264(), kReady);
  EXPECT_EQ(c.kind, DecoderKind::kNvdec);
  EXPECT_EQ(c.note, "");
  EXPECT_TRUE(c.gpu_codec);
  const std::string h265 = testing::source_dir() + "/tests/fixtures/video/vtest_h265.mp4";
  EXPECT_EQ(choose_decoder("auto", h265, kReady).kind, DecoderKind::kNvdec);
  // decoder=cpu on a GPU still learns the codec, for the advisor's pipeline.decode_bound.
  const DecoderChoice cpu = choose_decoder("cpu", h264(), kReady);
  EXPECT_EQ(cpu.kind, DecoderKind::kCpu);
  EXPECT_TRUE(cpu.gpu_codec);
  EXPECT_FALSE(choose_decoder("cpu", h264(), kNoGpu).gpu_codec) << "nothing is probed on a CPU";
  // A stream URL is not opened to learn its codec: the NVDEC source does that as it opens it.
  const DecoderChoice rtsp = choose_decoder("auto", "rtsp://127.0.0.1:9/none", kReady);
  EXPECT_EQ(rtsp.kind, DecoderKind::kNvdec);
  EXPECT_FALSE(rtsp.gpu_codec) << "not known before the stream is opened";
  EXPECT_EQ(choose_decoder("nvdec", "rtsp://127.0.0.1:9/none", kReady).kind, DecoderKind::kNvdec);
  EXPECT_EQ(choose_decoder("cpu", "rtsp://127.0.0.1:9/none", kReady).kind, DecoderKind::kCpu);
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  const DecoderChoice divx =
      choose_decoder("auto", testing::testdata("data/video/vtest.avi"), kReady);
  EXPECT_EQ(divx.kind, DecoderKind::kCpu);
  EXPECT_EQ(divx.note, "") << "auto falls back silently";
  EXPECT_FALSE(divx.gpu_codec);
#else
  EXPECT_EQ(choose_decoder("auto", h264(), kReady).kind, DecoderKind::kCpu);
  EXPECT_EQ(choose_decoder("auto", h264(), kReady).note, "");
#endif
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
  for (const auto* m : {&kNoGpu, &kGpuNoDriver, &kDriverNoNvdec}) {
    const DecoderChoice c = choose_decoder("nvdec", h264(), *m);
    EXPECT_EQ(c.kind, DecoderKind::kCpu);
    EXPECT_EQ(c.note.find('\n'), std::string::npos) << c.note;
  }
}

TEST(DecoderChoice, NvdecOnAReadyMachineReadsTheCodec) {
#ifdef YS_HAVE_LIBAV
  const DecoderChoice ready = choose_decoder("nvdec", h264(), kReady);
  EXPECT_EQ(ready.kind, DecoderKind::kNvdec);
  EXPECT_EQ(ready.note, "");
  EXPECT_TRUE(ready.gpu_codec);
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

// A raw Annex B stream is read without a demuxer, so NVDEC takes it in every build.
TEST(DecoderChoice, ARawAnnexBStreamGoesToNvdecWithoutADemuxer) {
  const std::string raw = testing::source_dir() + "/tests/fixtures/video/vtest_30.h265";
  for (const char* req : {"nvdec", "auto"}) {
    const DecoderChoice c = choose_decoder(req, raw, kReady);
    EXPECT_EQ(c.kind, DecoderKind::kNvdec) << req;
    EXPECT_EQ(c.note, "") << req;
    EXPECT_TRUE(c.gpu_codec) << req;
  }
  const DecoderChoice cpu = choose_decoder("cpu", raw, kReady);
  EXPECT_EQ(cpu.kind, DecoderKind::kCpu);
  EXPECT_TRUE(cpu.gpu_codec) << "learnt for the advisor";
  EXPECT_EQ(choose_decoder("nvdec", raw, kNoGpu).note,
            "decoder=nvdec: NVDEC needs a CUDA device (device=0); decoding on the CPU");
  const std::string renamed = "/nonexistent/vtest.h264";
  EXPECT_EQ(choose_decoder("nvdec", renamed, kReady).note,
            "decoder=nvdec: /nonexistent/vtest.h264: no such video file; decoding on the CPU");
  EXPECT_EQ(choose_decoder("auto", renamed, kReady).note, "") << "auto falls back silently";
  EXPECT_EQ(choose_decoder("auto", renamed, kReady).kind, DecoderKind::kCpu);
}

TEST(DecoderChoice, NvjpegIsForImagesAndFallsBackLikeNvdec) {
  EXPECT_EQ(choose_decoder("nvjpeg", h264(), kReady).note,
            "decoder=nvjpeg: nvJPEG decodes image files, not " + h264() + "; decoding on the CPU");
  EXPECT_EQ(choose_decoder("nvjpeg", "photos/", kNoGpu).note,
            "decoder=nvjpeg: nvJPEG needs a CUDA device (device=0); decoding on the CPU");
  EXPECT_EQ(choose_decoder("nvjpeg", "photos/", DecoderMachine{true, true, true, false}).note,
            "decoder=nvjpeg: libnvjpeg is not installed; decoding on the CPU");
}

TEST(DecoderChoice, NvdecFeedsOneDetectorWithTheGpuPipelineOrSaysWhyNot) {
  const DecoderChoice nvdec{DecoderKind::kNvdec, "", true};
  const DecoderChoice one = confirm_decoder(nvdec, "nvdec", 1, true);
  EXPECT_EQ(one.kind, DecoderKind::kNvdec);
  EXPECT_EQ(one.note, "");
  const DecoderChoice streams = confirm_decoder(nvdec, "nvdec", 2, true);
  EXPECT_EQ(streams.kind, DecoderKind::kCpu);
  EXPECT_EQ(streams.note,
            "decoder=nvdec: NVDEC feeds one detector's input on the GPU, and this run has 2 "
            "(streams=, device=); decoding on the CPU");
  EXPECT_TRUE(streams.gpu_codec) << "the codec is still one NVDEC takes, for the advisor";
  EXPECT_EQ(confirm_decoder(nvdec, "nvdec", 1, false).note,
            "decoder=nvdec: NVDEC feeds the GPU pipeline's input, which is off "
            "(gpu_pipeline=False); decoding on the CPU");
  const DecoderChoice quiet = confirm_decoder(nvdec, "auto", 3, false);
  EXPECT_EQ(quiet.kind, DecoderKind::kCpu);
  EXPECT_EQ(quiet.note, "") << "auto falls back silently";
  // A CPU choice passes as it is, note and all.
  const DecoderChoice cpu{DecoderKind::kCpu, "decoder=nvdec: x; decoding on the CPU", false};
  EXPECT_EQ(confirm_decoder(cpu, "nvdec", 4, false).note, cpu.note);
}

TEST(DecoderChoice, NamesEachDecoderAsTheArgumentSpellsIt) {
  EXPECT_STREQ(decoder_name(DecoderKind::kCpu), "cpu");
  EXPECT_STREQ(decoder_name(DecoderKind::kNvdec), "nvdec");
  EXPECT_STREQ(decoder_name(DecoderKind::kNvjpeg), "nvjpeg");
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
