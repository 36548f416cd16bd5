// The Annex B reader (issue 20) on the raw streams in tests/fixtures/video (made by
// scripts/make_test_videos.sh): what the parameter sets say against ffprobe (size after
// cropping, frame rate, bit depth), access units against ffprobe's frame counts, every byte
// handed out once and in order; and files that are not what their name says, cut short, damaged
// or random, which get a message naming the file or run without crashing. The full-length
// streams of .device/video (scripts/make_device_video.sh) are counted where they exist.
#include "pipeline/annexb_reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "core/error.h"
#include "test_data.h"
#include "test_util.h"

namespace ys {
namespace {

std::string fixture(const std::string& name) {
  return testing::source_dir() + "/tests/fixtures/video/" + name;
}

std::vector<uint8_t> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<AccessUnit> read_all(AnnexbReader& r) {
  std::vector<AccessUnit> units;
  AccessUnit u;
  while (r.next(u)) units.push_back(u);
  return units;
}

// What the reader says about a file whose opening fails.
std::string open_error(const std::string& path) {
  try {
    AnnexbReader r(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(opened)";
}

struct Expected {
  const char* file;
  AnnexbCodec codec;
  int width, height, bit_depth;
  double fps;
  int frames;  // ffprobe -count_frames
};

// ffprobe -count_frames -show_entries stream=width,height,r_frame_rate,pix_fmt,nb_read_frames
const Expected kFixtures[] = {
    {"vtest_30.h264", AnnexbCodec::kH264, 768, 576, 8, 10, 30},
    {"vtest_30.h265", AnnexbCodec::kHevc, 768, 576, 8, 10, 30},
    {"odd_cqm.264", AnnexbCodec::kH264, 98, 62, 8, 25, 5},
    {"main10_66x50.hevc", AnnexbCodec::kHevc, 66, 50, 10, 10, 5},
};

TEST(AnnexbReader, KnowsItsFilesByExtension) {
  for (const char* p : {"a.h264", "a.264", "A.H265", "x/y.265", "clip.hevc"})
    EXPECT_TRUE(is_annexb_path(p)) << p;
  for (const char* p : {"a.mp4", "h264", "a.h26", "a.avi", "a.hevc.mp4", ""})
    EXPECT_FALSE(is_annexb_path(p)) << p;
}

TEST(AnnexbReader, ReadsWhatTheParameterSetsSayAndCountsEveryPicture) {
  for (const Expected& x : kFixtures) {
    SCOPED_TRACE(x.file);
    AnnexbReader r(fixture(x.file));
    const AnnexbInfo& i = r.info();
    EXPECT_EQ(i.codec, x.codec);
    EXPECT_EQ(i.sequence.width, x.width);
    EXPECT_EQ(i.sequence.height, x.height);
    EXPECT_EQ(i.sequence.bit_depth, x.bit_depth);
    EXPECT_EQ(i.sequence.chroma_format, 1);
    EXPECT_DOUBLE_EQ(i.sequence.frame_rate, x.fps);
    EXPECT_EQ(i.access_units, x.frames);

    const std::vector<uint8_t> file = bytes_of(fixture(x.file));
    const std::vector<AccessUnit> units = read_all(r);
    int pictures = 0;
    int64_t offset = 0;
    for (size_t k = 0; k < units.size(); ++k) {
      const AccessUnit& u = units[k];
      EXPECT_EQ(u.index, static_cast<int64_t>(k));
      ASSERT_EQ(u.offset, offset) << "unit " << k << " starts where the one before it ended";
      ASSERT_GE(u.data.size(), 4u);
      EXPECT_TRUE(std::equal(u.data.begin(), u.data.end(), file.begin() + offset));
      const bool three = u.data[0] == 0 && u.data[1] == 0 && u.data[2] == 1;
      const bool four = u.data[0] == 0 && u.data[1] == 0 && u.data[2] == 0 && u.data[3] == 1;
      EXPECT_TRUE(three || four) << "unit " << k << " opens with a start code";
      offset += static_cast<int64_t>(u.data.size());
      pictures += u.picture ? 1 : 0;
    }
    EXPECT_EQ(offset, static_cast<int64_t>(file.size())) << "every byte handed out once";
    EXPECT_EQ(pictures, x.frames);
    EXPECT_EQ(units.size(), static_cast<size_t>(x.frames)) << "one picture a unit";
    AccessUnit after;
    EXPECT_FALSE(r.next(after)) << "the end stays the end";
  }
}

// The whole streams the GPU check carries, where scripts/make_device_video.sh has made them.
TEST(AnnexbReader, CountsTheFramesOfTheDeviceStreams) {
  const char* env = std::getenv("YS_DEVICE_VIDEO");
  const std::string dir = env && *env ? env : testing::source_dir() + "/.device/video";
  struct Stream {
    const char* name;
    int frames, width, height;
  };
  const Stream streams[] = {{"vtest.h264", 795, 768, 576},
                            {"vtest.h265", 795, 768, 576},
                            {"clip_1080p.h264", 120, 1920, 1080}};
  if (!std::filesystem::exists(dir + "/vtest.h264"))
    GTEST_SKIP() << dir << "/vtest.h264 not found (scripts/make_device_video.sh makes it)";
  for (const Stream& s : streams) {
    SCOPED_TRACE(s.name);
    AnnexbReader r(dir + "/" + s.name);
    EXPECT_EQ(r.info().access_units, s.frames);
    EXPECT_EQ(r.info().sequence.width, s.width);
    EXPECT_EQ(r.info().sequence.height, s.height) << "1088 coded rows cropped to 1080";
    EXPECT_DOUBLE_EQ(r.info().sequence.frame_rate, 10);
    EXPECT_EQ(read_all(r).size(), static_cast<size_t>(s.frames));
  }
}

// Past the 1 MiB read block: units straddle blocks and consumed bytes are dropped in between.
TEST(AnnexbReader, ReadsAcrossItsBlocks) {
  testing::TempDir dir;
  const std::vector<uint8_t> one = bytes_of(fixture("vtest_30.h264"));
  std::vector<uint8_t> many;
  for (int i = 0; i < 12; ++i) many.insert(many.end(), one.begin(), one.end());
  ASSERT_GT(many.size(), size_t{1} << 20);
  write(dir / "twelve.h264", many);
  AnnexbReader r(dir / "twelve.h264");
  EXPECT_EQ(r.info().access_units, 360);
  int64_t offset = 0;
  for (const AccessUnit& u : read_all(r)) {
    ASSERT_EQ(u.offset, offset);
    ASSERT_TRUE(std::equal(u.data.begin(), u.data.end(), many.begin() + offset)) << u.index;
    offset += static_cast<int64_t>(u.data.size());
  }
  EXPECT_EQ(offset, static_cast<int64_t>(many.size()));
}

TEST(AnnexbReader, NamesFilesThatAreNotAnnexBAndWhy) {
  testing::TempDir dir;
  EXPECT_EQ(open_error(dir / "missing.h264"), dir / "missing.h264" + ": no such video file");
  std::filesystem::create_directory(dir / "folder.h264");
  EXPECT_EQ(open_error(dir / "folder.h264"), dir / "folder.h264" + ": not a regular file");
  write(dir / "empty.h264", {});
  EXPECT_EQ(open_error(dir / "empty.h264"), dir / "empty.h264" + ": is empty");
  write(dir / "zeros.h265", std::vector<uint8_t>(5000, 0));
  EXPECT_EQ(open_error(dir / "zeros.h265"),
            dir / "zeros.h265" +
                ": does not start with an Annex B start code (00 00 01); not a raw H.265 "
                "elementary stream");
  std::vector<uint8_t> mp4 = bytes_of(fixture("vtest_h264.mp4"));
  mp4.resize(4096);
  write(dir / "renamed.h264", mp4);
  EXPECT_EQ(open_error(dir / "renamed.h264"),
            dir / "renamed.h264" +
                ": is an MP4 file, not a raw Annex B stream (name it .mp4); not a raw H.264 "
                "elementary stream");
  std::mt19937 rng(7);
  std::vector<uint8_t> noise(100000);
  for (uint8_t& b : noise) b = static_cast<uint8_t>(rng());
  noise[0] = 0x47;  // not a zero: no start code at the start
  write(dir / "noise.264", noise);
  EXPECT_NE(open_error(dir / "noise.264").find("does not start with an Annex B start code"),
            std::string::npos);
}

TEST(AnnexbReader, SaysWhenTheExtensionNamesTheOtherCodec) {
  testing::TempDir dir;
  write(dir / "really_hevc.h264", bytes_of(fixture("vtest_30.h265")));
  EXPECT_EQ(open_error(dir / "really_hevc.h264"),
            dir / "really_hevc.h264" +
                ": holds an H.265 stream, not the H.264 its extension says (name it .h265)");
  write(dir / "really_avc.hevc", bytes_of(fixture("vtest_30.h264")));
  EXPECT_EQ(open_error(dir / "really_avc.hevc"),
            dir / "really_avc.hevc" +
                ": holds an H.264 stream, not the H.265 its extension says (name it .h264)");
}

TEST(AnnexbReader, AStreamCutFromTheMiddleHasNoParameterSetToStartOn) {
  testing::TempDir dir;
  AnnexbReader whole(fixture("vtest_30.h264"));
  const std::vector<AccessUnit> units = read_all(whole);
  const std::vector<uint8_t> file = bytes_of(fixture("vtest_30.h264"));
  // From the second picture on: slices only, the SPS and PPS were in the first unit.
  write(dir / "middle.h264", std::vector<uint8_t>(file.begin() + units[1].offset, file.end()));
  EXPECT_EQ(open_error(dir / "middle.h264"),
            dir / "middle.h264" +
                ": no H.264 sequence parameter set before its first picture (a stream cut from "
                "the middle?); NVDEC cannot start on it");
}

TEST(AnnexbReader, ADamagedSequenceParameterSetIsNamed) {
  testing::TempDir dir;
  // A start code, an SPS header and two bytes of it, then a slice: it ends inside its fields.
  write(dir / "short_sps.264", {0, 0, 0, 1, 0x67, 0x64, 0x00, 0, 0, 1, 0x65, 0x88, 0x84});
  EXPECT_EQ(
      open_error(dir / "short_sps.264"),
      dir / "short_sps.264" + ": its H.264 sequence parameter set cannot be read (it ends early)");
  // An Exp-Golomb code of 40 leading zeros where the SPS id is.
  write(dir / "long_code.264", {0, 0, 1, 0x67, 0x64, 0, 0x1f, 0, 0, 0, 0, 0, 0x80, 0, 0, 1, 0x65});
  EXPECT_NE(open_error(dir / "long_code.264").find("cannot be read"), std::string::npos)
      << open_error(dir / "long_code.264");
}

TEST(AnnexbReader, AFileCutShortEndsWithItsPartialUnit) {
  testing::TempDir dir;
  const std::vector<uint8_t> file = bytes_of(fixture("vtest_30.h265"));
  const size_t cut = file.size() / 2;
  write(dir / "half.h265", std::vector<uint8_t>(file.begin(), file.begin() + cut));
  AnnexbReader r(dir / "half.h265");
  const std::vector<AccessUnit> units = read_all(r);
  ASSERT_FALSE(units.empty());
  EXPECT_LT(units.size(), 30u);
  EXPECT_EQ(r.info().access_units, static_cast<int64_t>(units.size()));
  EXPECT_EQ(units.back().offset + static_cast<int64_t>(units.back().data.size()),
            static_cast<int64_t>(cut));
}

// Damage anywhere after the parameter sets: the reader opens it or names it, never crashes, and
// hands out every byte it read.
TEST(AnnexbReader, SurvivesRandomDamage) {
  testing::TempDir dir;
  const std::vector<uint8_t> file = bytes_of(fixture("vtest_30.h264"));
  std::mt19937 rng(20);
  int opened = 0;
  for (int round = 0; round < 60; ++round) {
    std::vector<uint8_t> damaged = file;
    const int flips = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < flips; ++i) {
      const size_t at = rng() % damaged.size();
      damaged[at] = round % 3 == 0 ? 0 : static_cast<uint8_t>(rng());
    }
    if (round % 4 == 1) damaged.resize(rng() % damaged.size() + 1);
    write(dir / "damaged.h264", damaged);
    try {
      AnnexbReader r(dir / "damaged.h264");
      int64_t bytes = 0, offset = 0;
      for (const AccessUnit& u : read_all(r)) {
        EXPECT_GE(u.offset, offset);
        offset = u.offset + static_cast<int64_t>(u.data.size());
        bytes += static_cast<int64_t>(u.data.size());
      }
      EXPECT_LE(bytes, static_cast<int64_t>(damaged.size()));
      ++opened;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
      EXPECT_EQ(std::string(e.what()).rfind(dir / "damaged.h264", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(opened, 0);
}

}  // namespace
}  // namespace ys
