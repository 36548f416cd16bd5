// decoder=nvdec's host side (issue 20), on the CPU: where NVDEC cannot be fed, opening the source
// says why in one line (or nothing, for auto) and the caller decodes on the CPU; frames that a
// device decoder letterboxed keep their size for the outputs, and the frame loop refuses them
// on a detector without the GPU pipeline or out of their slots rather than detecting the wrong
// pixels. Over a device decoder played on the CPU (one frame a packet), the source's own work:
// batch slots in turn, vid_stride, placements, timestamps, host pixels only when asked, a packet
// the parser refuses listed and skipped, and a stream the device refuses at the first header
// turned into the fallback line. The GPU side is backend_nvdec_test's.
#include "pipeline/nvdec_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "pipeline/frame_loop.h"
#include "pipeline/letterbox.h"
#include "test_data.h"
#include "test_util.h"

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

// What the fake decoder saw, kept by the test after the source owns the decoder. The source's
// thread pushes and the test's reads the log only after the source's next() has returned false
// (the source's lock orders the two).
struct DecoderLog {
  int pushes = 0;
  bool flushed = false;
  std::vector<int> slots;
  std::vector<LetterboxPlacement> placements;
  int downloads = 0;
  int refuse_packet = 0;     // the parser refuses this push (1-based), kBadInput
  bool unsupported = false;  // the first push says the device cannot decode the stream
  DeviceVideoCodec codec = DeviceVideoCodec::kAv1;
};

// One 768x576 frame out per packet, as NVDEC gives for these all-intra-or-P streams in order.
class FakeDecoder : public DeviceVideoDecoder {
 public:
  explicit FakeDecoder(DecoderLog& log) : log_(log) {}
  void push(const uint8_t*, size_t size, int64_t pts) override {
    if (size == 0) {
      log_.flushed = true;
      return;
    }
    ++log_.pushes;
    if (log_.unsupported)
      fail(ErrorKind::kUnsupported,
           "NVDEC: only 8-bit 4:2:0 streams go to the NV12 letterbox so far");
    if (log_.pushes == log_.refuse_packet)
      fail(ErrorKind::kBadInput, "NVDEC: the parser refused a packet: CUDA_ERROR_INVALID_VALUE");
    queued_.push_back({768, 576, pts});
  }
  bool next(DeviceVideoFrame& f) override {
    if (queued_.empty()) return false;
    f = queued_.front();
    queued_.erase(queued_.begin());
    return true;
  }
  void letterbox(const LetterboxPlacement& at, const Tensor&, int slot) override {
    log_.slots.push_back(slot);
    log_.placements.push_back(at);
  }
  Tensor download_bgr() override {
    ++log_.downloads;
    return Tensor(DType::kUInt8, {576, 768, 3});
  }
  int max_ahead() const override { return 4; }

 private:
  DecoderLog& log_;
  std::vector<DeviceVideoFrame> queued_;
};

DeviceDecoderFactory fake(DecoderLog& log) {
  return [&log](DeviceVideoCodec codec) {
    log.codec = codec;
    return std::make_unique<FakeDecoder>(log);
  };
}

const Tensor kInput3(DType::kFloat32, {3, 3, 64, 64});  // batch 3, a 64x64 model

std::vector<Frame> read_all(Source& s) {
  std::vector<Frame> frames;
  Frame f;
  while (s.next(f)) frames.push_back(f);
  return frames;
}

std::string fixture(const std::string& name) {
  return testing::source_dir() + "/tests/fixtures/video/" + name;
}

// A raw Annex B stream needs no demuxer: this runs in every build, the GPU machine's included.
TEST(DeviceVideoSource, ReadsARawAnnexBStreamWithoutADemuxer) {
  for (const char* name : {"vtest_30.h264", "vtest_30.h265"}) {
    SCOPED_TRACE(name);
    DecoderLog log;
    NvdecSourceResult r = open_device_video_source(fixture(name), fake(log), kInput3, 1, false);
    ASSERT_NE(r.source, nullptr) << r.note;
    EXPECT_EQ(log.codec, std::string(name).ends_with("h264") ? DeviceVideoCodec::kH264
                                                             : DeviceVideoCodec::kHevc);
    EXPECT_EQ(r.source->size(), 30);
    const std::string codec = std::string(name).ends_with("h264") ? "h264" : "hevc";
    EXPECT_EQ(r.source->describe(), "video " + fixture(name) + " (30 frames, 768x576, 10 fps; " +
                                        codec + " Annex B decoded by NVDEC)");
    const std::vector<Frame> frames = read_all(*r.source);
    ASSERT_EQ(frames.size(), 30u);
    EXPECT_EQ(log.pushes, 30) << "one access unit, one picture, a push";
    EXPECT_TRUE(log.flushed);
    for (size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(frames[i].index, static_cast<int64_t>(i));
      EXPECT_EQ(frames[i].device_slot, static_cast<int>(i % 3));
      EXPECT_DOUBLE_EQ(frames[i].timestamp_s, 0.1 * static_cast<double>(i))
          << "a raw stream's frames are at index / rate";
      EXPECT_EQ(frames[i].kind, FrameKind::kVideo);
    }
    EXPECT_TRUE(r.source->errors().empty());
  }
}

TEST(DeviceVideoSource, VidStrideAndHostPixelsOnARawStream) {
  DecoderLog log;
  NvdecSourceResult r =
      open_device_video_source(fixture("vtest_30.h265"), fake(log), kInput3, 7, true);
  ASSERT_NE(r.source, nullptr) << r.note;
  const std::vector<Frame> frames = read_all(*r.source);
  ASSERT_EQ(frames.size(), 5u);  // 0, 7, 14, 21, 28
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].index, static_cast<int64_t>(7 * i));
    EXPECT_DOUBLE_EQ(frames[i].timestamp_s, 0.7 * static_cast<double>(i));
    EXPECT_EQ(frames[i].image.shape(), (Shape{576, 768, 3}));
  }
  EXPECT_EQ(log.slots, (std::vector<int>{0, 1, 2, 0, 1}));
  EXPECT_EQ(log.pushes, 30) << "every picture decoded, since later ones refer to it";
}

TEST(DeviceVideoSource, ARawStreamItCannotReadFallsBackNamingTheFile) {
  testing::TempDir dir;
  std::ofstream(dir / "garbage.h264") << "this is not video";
  DecoderLog log;
  const NvdecSourceResult r =
      open_device_video_source(dir / "garbage.h264", fake(log), kInput3, 1, false);
  EXPECT_EQ(r.source, nullptr);
  EXPECT_EQ(r.note, "decoder=nvdec: " + dir / "garbage.h264" +
                        ": does not start with an Annex B start code (00 00 01); not a raw H.264 "
                        "elementary stream; decoding on the CPU");
  EXPECT_EQ(log.pushes, 0);
  std::filesystem::copy_file(fixture("vtest_30.h264"), dir / "mislabelled.hevc");
  EXPECT_EQ(open_device_video_source(dir / "mislabelled.hevc", fake(log), kInput3, 1, false).note,
            "decoder=nvdec: " + dir / "mislabelled.hevc" +
                ": holds an H.264 stream, not the H.265 its extension says (name it .h264); "
                "decoding on the CPU");
}

// The whole streams the GPU check carries, where scripts/make_device_video.sh has made them.
TEST(DeviceVideoSource, EveryFrameOfTheDeviceStreams) {
  const std::string dir = testing::source_dir() + "/.device/video";
  if (!std::filesystem::exists(dir + "/vtest.h264"))
    GTEST_SKIP() << dir << "/vtest.h264 not found (scripts/make_device_video.sh makes it)";
  for (const auto& [name, count] :
       {std::pair{"vtest.h264", 795}, {"vtest.h265", 795}, {"clip_1080p.h264", 120}}) {
    DecoderLog log;
    NvdecSourceResult r = open_device_video_source(dir + "/" + name, fake(log), kInput3, 1, false);
    ASSERT_NE(r.source, nullptr) << r.note;
    EXPECT_EQ(read_all(*r.source).size(), static_cast<size_t>(count)) << name;
  }
}

#ifdef YS_HAVE_LIBAV

TEST(DeviceVideoSource, LetterboxesEveryFrameIntoTheBatchSlotsInTurn) {
  DecoderLog log;
  NvdecSourceResult r = open_device_video_source(h264(), fake(log), kInput3, 1, false);
  ASSERT_NE(r.source, nullptr) << r.note;
  EXPECT_EQ(r.note, "");
  EXPECT_EQ(log.codec, DeviceVideoCodec::kH264);
  EXPECT_EQ(r.source->size(), 795);
  EXPECT_NE(r.source->describe().find("768x576, 10 fps; h264 decoded by NVDEC)"), std::string::npos)
      << r.source->describe();
  const std::vector<Frame> frames = read_all(*r.source);
  ASSERT_EQ(frames.size(), 795u);
  EXPECT_TRUE(log.flushed);
  EXPECT_EQ(log.pushes, 795);
  const LetterboxInfo g = letterbox_geometry(768, 576, 64, 64);
  ASSERT_EQ(log.slots.size(), 795u);
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = frames[i];
    EXPECT_EQ(f.index, static_cast<int64_t>(i));
    EXPECT_EQ(f.device_slot, static_cast<int>(i % 3));
    EXPECT_EQ(log.slots[i], static_cast<int>(i % 3));
    EXPECT_EQ(f.width(), 768);
    EXPECT_EQ(f.height(), 576);
    EXPECT_TRUE(f.image.empty()) << "no host pixels unless an output draws";
    EXPECT_EQ(f.kind, FrameKind::kVideo);
    EXPECT_EQ(f.source, h264());
    EXPECT_EQ(log.placements[i].resized_width, g.resized_width);
    EXPECT_EQ(log.placements[i].resized_height, g.resized_height);
    EXPECT_EQ(log.placements[i].pad_left, g.pad_left);
    EXPECT_EQ(log.placements[i].pad_top, g.pad_top);
  }
  EXPECT_EQ(log.downloads, 0);
  EXPECT_TRUE(r.source->errors().empty());
  // The fake hands frames out in decode order; their media times are still every 0.1 s once.
  std::vector<double> times;
  for (const Frame& f : frames) times.push_back(f.timestamp_s);
  std::sort(times.begin(), times.end());
  for (size_t i = 0; i < times.size(); ++i)
    EXPECT_NEAR(times[i], 0.1 * static_cast<double>(i), 1e-6);
}

TEST(DeviceVideoSource, VidStrideDecodesEveryFrameButLetterboxesOnlyTheKeptOnes) {
  DecoderLog log;
  NvdecSourceResult r = open_device_video_source(h264(), fake(log), kInput3, 100, true);
  ASSERT_NE(r.source, nullptr) << r.note;
  const std::vector<Frame> frames = read_all(*r.source);
  ASSERT_EQ(frames.size(), 8u);  // 0, 100, ..., 700
  EXPECT_EQ(log.pushes, 795);
  EXPECT_EQ(log.slots, (std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1}));
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].index, static_cast<int64_t>(100 * i));
    EXPECT_EQ(frames[i].image.shape(), (Shape{576, 768, 3})) << "save=True: host pixels";
  }
  EXPECT_EQ(log.downloads, 8);
}

TEST(DeviceVideoSource, APacketTheParserRefusesIsListedAndSkipped) {
  DecoderLog log;
  log.refuse_packet = 5;
  NvdecSourceResult r = open_device_video_source(h264(), fake(log), kInput3, 1, false);
  ASSERT_NE(r.source, nullptr) << r.note;
  EXPECT_EQ(read_all(*r.source).size(), 794u);
  ASSERT_EQ(r.source->errors().size(), 1u);
  // Packet 5 in decode order holds the picture shown at 0.3 s (B-frames follow their references).
  EXPECT_EQ(
      r.source->errors()[0],
      h264() + ": packet 5 at 0.3 s: NVDEC: the parser refused a packet: CUDA_ERROR_INVALID_VALUE");
}

TEST(DeviceVideoSource, AStreamTheDeviceRefusesFallsBackWithOneLine) {
  DecoderLog log;
  log.unsupported = true;
  const NvdecSourceResult r = open_device_video_source(h264(), fake(log), kInput3, 1, false);
  EXPECT_EQ(r.source, nullptr);
  EXPECT_EQ(r.note,
            "decoder=nvdec: NVDEC: only 8-bit 4:2:0 streams go to the NV12 letterbox so far; "
            "decoding on the CPU");
  DecoderLog quiet_log;
  quiet_log.unsupported = true;
  EXPECT_EQ(open_device_video_source(h264(), fake(quiet_log), kInput3, 1, false, "auto").note, "");
}

TEST(DeviceVideoSource, FallsBackForWhatItCannotOpen) {
  DecoderLog log;
  const std::string missing = testing::source_dir() + "/tests/fixtures/video/missing.mp4";
  const NvdecSourceResult none = open_device_video_source(missing, fake(log), kInput3, 1, false);
  EXPECT_EQ(none.source, nullptr);
  EXPECT_EQ(none.note, "decoder=nvdec: " + missing + ": no such video file; decoding on the CPU");
  const NvdecSourceResult no_decoder = open_device_video_source(
      h264(), [](DeviceVideoCodec) { return std::unique_ptr<DeviceVideoDecoder>(); }, kInput3, 1,
      false);
  EXPECT_EQ(no_decoder.note,
            "decoder=nvdec: the detector's backend has no video decoder; decoding on the CPU");
  EXPECT_THROW(
      open_device_video_source(h264(), fake(log), Tensor(DType::kFloat32, {3, 64, 64}), 1, false),
      Error);
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  const NvdecSourceResult divx = open_device_video_source(testing::testdata("data/video/vtest.avi"),
                                                          fake(log), kInput3, 1, false);
  EXPECT_EQ(divx.source, nullptr);
  EXPECT_EQ(divx.note,
            "decoder=nvdec: vtest.avi is msmpeg4v3 (MPEG-4 part 2 Microsoft variant version 3), "
            "which NVDEC cannot decode; decoding on the CPU");
}
#endif

}  // namespace
}  // namespace ys
