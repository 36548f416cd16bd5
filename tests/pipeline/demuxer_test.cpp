// The demuxer (issue 20) on the committed fixtures (tests/fixtures/video) and ../shared's
// vtest.avi: the packets ffprobe counts, Annex B output, the codec NVDEC cannot take, and damaged
// copies made here: bytes overwritten mid-file and a file cut short.
#include "pipeline/demuxer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "test_data.h"

namespace ys {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return testing::source_dir() + "/tests/fixtures/video/" + name;
}

// ffprobe's own count of the first video stream's packets; -1 where ffprobe is missing.
long ffprobe_packets(const std::string& path) {
  if (std::system("command -v ffprobe >/dev/null 2>&1") != 0) return -1;
  const std::string cmd =
      "ffprobe -v error -select_streams v:0 -count_packets -show_entries "
      "stream=nb_read_packets -of csv=p=0 '" +
      path + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return -1;
  long n = -1;
  if (std::fscanf(pipe, "%ld", &n) != 1) n = -1;
  pclose(pipe);
  return n;
}

struct Drained {
  long packets = 0;
  std::vector<std::string> errors;
};

// Reads to the end as a decoder would: a packet's error is noted and reading goes on.
Drained drain(Demuxer& d) {
  Drained out;
  for (int guard = 0; guard < 100000; ++guard) {
    try {
      auto p = d.next();
      if (!p) return out;
      ++out.packets;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
      out.errors.push_back(e.what());
    }
  }
  ADD_FAILURE() << "next() never reached the end";
  return out;
}

fs::path copy_to_temp(const std::string& src, const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ys_demuxer_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path dst = dir / name;
  fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
  return dst;
}

class DemuxerFixtures : public ::testing::TestWithParam<const char*> {};

TEST_P(DemuxerFixtures, GivesThePacketsFfprobeCounts) {
  const std::string path = fixture(GetParam());
  Demuxer d(path);
  const long expected = ffprobe_packets(path);
  const Drained got = drain(d);
  EXPECT_TRUE(got.errors.empty()) << got.errors.front();
  EXPECT_EQ(got.packets, d.info().declared_packets);
  if (expected < 0) GTEST_SKIP() << "ffprobe not found: compared with the container's count only";
  EXPECT_EQ(got.packets, expected);
}

TEST_P(DemuxerFixtures, GivesAnnexBWithTimestampsAndAKeyframeFirst) {
  Demuxer d(fixture(GetParam()));
  EXPECT_TRUE(nvdec_can_decode(d.info().codec));
  auto first = d.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->keyframe);
  ASSERT_GE(first->data.size(), 4u);
  // A start code, not MP4's 4-byte length prefix.
  EXPECT_EQ(first->data[0], 0);
  EXPECT_EQ(first->data[1], 0);
  EXPECT_TRUE(first->data[2] == 1 || (first->data[2] == 0 && first->data[3] == 1));
  double last_dts_seconds = -1;
  int64_t last_dts = INT64_MIN;
  for (int i = 0; i < 30; ++i) {
    auto p = d.next();
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->index, i + 1);
    EXPECT_GT(p->dts, last_dts);
    last_dts = p->dts;
    last_dts_seconds = p->seconds;
  }
  EXPECT_GT(last_dts_seconds, 0);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DemuxerFixtures,
                         ::testing::Values("vtest_h264.mp4", "vtest_h265.mp4",
                                           "clip_1080p_h264.mp4"));

TEST(Demuxer, ReadsTheFixturesStreamInfo) {
  Demuxer h264(fixture("vtest_h264.mp4"));
  EXPECT_EQ(h264.info().codec, VideoCodec::kH264);
  EXPECT_EQ(h264.info().width, 768);
  EXPECT_EQ(h264.info().height, 576);
  EXPECT_DOUBLE_EQ(h264.info().frame_rate, 10.0);
  Demuxer hevc(fixture("vtest_h265.mp4"));
  EXPECT_EQ(hevc.info().codec, VideoCodec::kHevc);
  Demuxer hd(fixture("clip_1080p_h264.mp4"));
  EXPECT_EQ(hd.info().width, 1920);
  EXPECT_EQ(hd.info().height, 1080);
}

TEST(Demuxer, RecognisesDivX3AsACodecNvdecCannotDecode) {
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  const std::string path = testing::testdata("data/video/vtest.avi");
  Demuxer d(path);
  EXPECT_EQ(d.info().codec, VideoCodec::kOther);
  EXPECT_EQ(d.info().codec_name, "msmpeg4v3");
  EXPECT_FALSE(nvdec_can_decode(d.info().codec));
  const std::string note = nvdec_codec_fallback_note(path, d.info());
  EXPECT_EQ(note.find('\n'), std::string::npos);
  EXPECT_EQ(note,
            "decoder=nvdec: vtest.avi is msmpeg4v3 (MPEG-4 part 2 Microsoft variant "
            "version 3), which NVDEC cannot decode; decoding on the CPU");
  // Its packets pass through as stored, as many as ffprobe counts.
  const Drained got = drain(d);
  EXPECT_TRUE(got.errors.empty());
  const long expected = ffprobe_packets(path);
  if (expected >= 0) {
    EXPECT_EQ(got.packets, expected);
  }
  EXPECT_EQ(got.packets, 795);
}

TEST(Demuxer, NamesTheCorruptPacketMidFileAndGoesOn) {
  const fs::path copy = copy_to_temp(fixture("vtest_h264.mp4"), "corrupt.mp4");
  const auto size = static_cast<long>(fs::file_size(copy));
  {
    // 16 KB of 0xFF in the middle of the samples: every NAL length prefix there runs past its
    // packet. The sample table (moov, at the front) is untouched.
    std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(size / 2);
    const std::string junk(16384, '\xff');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  Demuxer d(copy.string());
  const Drained got = drain(d);
  ASSERT_FALSE(got.errors.empty()) << "no packet was found corrupt";
  const std::string& msg = got.errors.front();
  EXPECT_NE(msg.find(copy.string() + ": video packet "), std::string::npos) << msg;
  EXPECT_NE(msg.find(" s) is corrupt: h264_mp4toannexb: Invalid data"), std::string::npos) << msg;
  // Every packet is either delivered or named, and the rest of the file still comes.
  EXPECT_EQ(got.packets + static_cast<long>(got.errors.size()), 795);
  EXPECT_GT(got.packets, 700);
  fs::remove_all(copy.parent_path());
}

TEST(Demuxer, SaysAStreamEndsEarlyOnceAndThenEnds) {
  const fs::path copy = copy_to_temp(fixture("vtest_h265.mp4"), "cut.mp4");
  fs::resize_file(copy, fs::file_size(copy) * 6 / 10);
  Demuxer d(copy.string());
  const Drained got = drain(d);
  EXPECT_GT(got.packets, 100);
  EXPECT_LT(got.packets, 795);
  ASSERT_FALSE(got.errors.empty());
  const std::string& last = got.errors.back();
  EXPECT_NE(last.find(copy.string() + ": the video stream ends early, after "), std::string::npos)
      << last;
  EXPECT_NE(last.find(" of the 795 packets its container declares"), std::string::npos) << last;
  EXPECT_FALSE(d.next().has_value());
  fs::remove_all(copy.parent_path());
}

// decoder=nvdec's thread is stopped this way when a stream URL stalls: the read gives up.
TEST(Demuxer, AnInterruptEndsTheReadsThatFollow) {
  Demuxer d(fixture("vtest_h264.mp4"));
  ASSERT_TRUE(d.next().has_value());
  d.interrupt();
  EXPECT_FALSE(d.next().has_value());
  EXPECT_FALSE(d.next().has_value());
  EXPECT_EQ(d.packets_read(), 1);
}

TEST(Demuxer, RefusesAMissingFileAndOneThatIsNoVideo) {
  try {
    Demuxer d("/nonexistent/clip.mp4");
    FAIL() << "opened a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/clip.mp4: no such video file"),
              std::string::npos);
  }
  const fs::path text = copy_to_temp(testing::source_dir() + "/CMakeLists.txt", "notes.mp4");
  try {
    Demuxer d(text.string());
    FAIL() << "opened a text file as a video";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find(text.string() + ": cannot open as a video: "),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(text.parent_path());
}

}  // namespace
}  // namespace ys
