// Sources: the synthetic scene, raw frames from a stream, and the error paths (missing,
// corrupt, truncated, unreadable) that must be reported by name instead of ending the run.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "pipeline/image_io.h"
#include "pipeline/source.h"
#include "test_data.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace ys {
namespace {

double stddev(const Tensor& img) {
  const uint8_t* p = img.ptr<uint8_t>();
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < img.numel(); ++i) sum += p[i], sq += double(p[i]) * p[i];
  const double mean = sum / img.numel();
  return std::sqrt(sq / img.numel() - mean * mean);
}

bool same_pixels(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

ErrorKind kind_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no ys::Error thrown";
  return ErrorKind::kInternal;
}

TEST(PipelineSyntheticSource, NeverBlankMovingAndDeterministic) {
  SourceSpec spec;
  spec.source = "synthetic";
  spec.synthetic_frames = 12;
  spec.synthetic_width = 320;
  spec.synthetic_height = 240;
  auto a = open_source(spec), b = open_source(spec);
  EXPECT_EQ(a->size(), 12);
  Frame fa, fb, prev;
  int n = 0;
  while (a->next(fa)) {
    ASSERT_TRUE(b->next(fb));
    ASSERT_EQ(fa.image.shape(), (Shape{240, 320, 3}));
    EXPECT_GT(stddev(fa.image), 20.0) << "frame " << n << " is nearly flat";
    EXPECT_TRUE(same_pixels(fa.image, fb.image)) << "frame " << n << " differs between runs";
    if (n > 0) {
      EXPECT_FALSE(same_pixels(fa.image, prev.image)) << "frame " << n << " did not move";
    }
    EXPECT_EQ(fa.index, n);
    EXPECT_DOUBLE_EQ(fa.timestamp_s, n / 30.0);
    prev.image = fa.image.clone();
    ++n;
  }
  EXPECT_EQ(n, 12);
  EXPECT_FALSE(b->next(fb));
  EXPECT_TRUE(a->errors().empty());
}

TEST(PipelineRawSource, ReadsFramesAndReportsATruncatedOne) {
  const int w = 5, h = 4, frame_bytes = w * h * 3;
  std::string bytes(2 * frame_bytes + 7, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i % 251);
  std::istringstream in(bytes);
  auto src = open_raw_source(in, w, h, "pipe", 25);
  Frame f;
  for (int k = 0; k < 2; ++k) {
    ASSERT_TRUE(src->next(f));
    ASSERT_EQ(f.image.shape(), (Shape{h, w, 3}));
    EXPECT_EQ(std::memcmp(f.image.data(), bytes.data() + k * frame_bytes, frame_bytes), 0);
    EXPECT_EQ(f.index, k);
    EXPECT_DOUBLE_EQ(f.timestamp_s, k / 25.0);
    EXPECT_EQ(f.kind, FrameKind::kVideo);
  }
  EXPECT_FALSE(src->next(f));
  EXPECT_FALSE(src->next(f));
  ASSERT_EQ(src->errors().size(), 1u);
  EXPECT_NE(src->errors()[0].find("pipe: frame 2 is truncated: 7 of 60 bytes"), std::string::npos)
      << src->errors()[0];
}

TEST(PipelineRawSource, CleanEndIsNoError) {
  std::istringstream in(std::string(2 * 2 * 3, 'x'));
  auto src = open_raw_source(in, 2, 2);
  Frame f;
  EXPECT_TRUE(src->next(f));
  EXPECT_FALSE(src->next(f));
  EXPECT_TRUE(src->errors().empty());
}

// Frames 0..frames-1 of 1x1 pixels, skipping (and reporting) the ones listed, then failing with
// an ys::Error when `fail_after` is set: the events a wrapping source must pass on in order.
class ScriptedSource : public Source {
 public:
  ScriptedSource(int frames, std::vector<int> skipped, bool fail_after,
                 FrameKind kind = FrameKind::kVideo)
      : frames_(frames), skipped_(std::move(skipped)), fail_after_(fail_after), kind_(kind) {}
  bool next(Frame& f) override {
    while (i_ < frames_ && std::find(skipped_.begin(), skipped_.end(), i_) != skipped_.end())
      report("frame " + std::to_string(i_++) + ": corrupt");
    if (i_ == frames_) {
      if (fail_after_) fail(ErrorKind::kIo, "scripted: the device went away");
      return false;
    }
    f.image = Tensor(DType::kUInt8, {1, 1, 3});
    f.kind = kind_;
    f.index = i_++;
    return true;
  }
  std::string describe() const override { return "scripted"; }
  std::optional<int64_t> size() const override { return frames_; }

 private:
  int frames_, i_ = 0;
  std::vector<int> skipped_;
  bool fail_after_;
  FrameKind kind_;
};

std::vector<int64_t> indices_of(Source& src) {
  std::vector<int64_t> seen;
  Frame f;
  while (src.next(f)) seen.push_back(f.index);
  return seen;
}

TEST(PipelineStrideSource, KeepsVideoFramesWhoseIndexIsAMultipleOfTheStride) {
  // Frames 3 and 4 fail to decode: frame 6 is still kept, not the frame after the gap.
  auto src = stride_source(std::make_unique<ScriptedSource>(10, std::vector<int>{3, 4}, false), 3);
  EXPECT_EQ(src->describe(), "scripted");
  EXPECT_EQ(src->size(), 10) << "the media's frames, not the ones kept";
  Frame f;
  ASSERT_TRUE(src->next(f));
  EXPECT_EQ(f.index, 0);
  EXPECT_TRUE(src->errors().empty());
  ASSERT_TRUE(src->next(f));
  EXPECT_EQ(f.index, 6);
  EXPECT_EQ(src->errors(), (std::vector<std::string>{"frame 3: corrupt", "frame 4: corrupt"}));
  ASSERT_TRUE(src->next(f));
  EXPECT_EQ(f.index, 9);
  EXPECT_FALSE(src->next(f));
}

TEST(PipelineStrideSource, PassesStillImagesAndFailures) {
  auto images = stride_source(
      std::make_unique<ScriptedSource>(5, std::vector<int>{}, false, FrameKind::kImage), 2);
  EXPECT_EQ(indices_of(*images), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  auto failing =
      stride_source(std::make_unique<ScriptedSource>(7, std::vector<int>{5, 6}, true), 2);
  Frame f;
  for (int64_t k : {0, 2, 4}) {
    ASSERT_TRUE(failing->next(f));
    EXPECT_EQ(f.index, k);
  }
  EXPECT_EQ(kind_of([&] { failing->next(f); }), ErrorKind::kIo);
  EXPECT_EQ(failing->errors().size(), 2u) << "inputs skipped before the failure are kept";
  EXPECT_EQ(kind_of([] { stride_source(open_synthetic_source(1, 8, 8, 30), 0); }),
            ErrorKind::kInvalidArgument);
}

TEST(PipelineStrideSource, WorksUnderAPrefetch) {
  auto src = prefetch_source(stride_source(open_synthetic_source(50, 64, 48, 30), 10), 2);
  EXPECT_EQ(indices_of(*src), (std::vector<int64_t>{0, 10, 20, 30, 40}));
}

TEST(PipelineOpenSource, VidStrideThinsSyntheticFramesButNotImages) {
  SourceSpec spec;
  spec.source = "synthetic";
  spec.synthetic_frames = 10;
  spec.vid_stride = 4;
  EXPECT_EQ(indices_of(*open_source(spec)), (std::vector<int64_t>{0, 4, 8}));
  spec.vid_stride = 0;
  EXPECT_EQ(kind_of([&] { open_source(spec); }), ErrorKind::kInvalidArgument);
  YS_REQUIRE_TESTDATA("data/images");
  spec.source = testing::testdata("data/images");
  spec.vid_stride = 3;
  auto images = open_source(spec);
  ASSERT_TRUE(images->size().has_value());
  EXPECT_EQ(static_cast<int64_t>(indices_of(*images).size()), *images->size());
}

TEST(PipelinePrefetchSource, KeepsFramesAndSkippedInputsInOrder) {
  auto src = prefetch_source(std::make_unique<ScriptedSource>(6, std::vector<int>{1, 5}, false), 2);
  EXPECT_EQ(src->describe(), "scripted");
  EXPECT_EQ(src->size(), 6);
  Frame f;
  std::vector<int64_t> seen;
  std::vector<size_t> errors_when_seen;
  while (src->next(f)) {
    seen.push_back(f.index);
    errors_when_seen.push_back(src->errors().size());
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 2, 3, 4}));
  // Frame 1's error arrives with frame 2, not before frame 0; frame 5's at the end.
  EXPECT_EQ(errors_when_seen, (std::vector<size_t>{0, 1, 1, 1}));
  ASSERT_EQ(src->errors().size(), 2u);
  EXPECT_EQ(src->errors()[0], "frame 1: corrupt");
  EXPECT_EQ(src->errors()[1], "frame 5: corrupt");
  EXPECT_FALSE(src->next(f));
}

TEST(PipelinePrefetchSource, AFailureComesAfterTheFramesBeforeIt) {
  auto src = prefetch_source(std::make_unique<ScriptedSource>(3, std::vector<int>{}, true), 8);
  Frame f;
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(src->next(f));
    EXPECT_EQ(f.index, k);
  }
  std::string message;
  EXPECT_EQ(kind_of([&] { src->next(f); }, &message), ErrorKind::kIo);
  EXPECT_NE(message.find("the device went away"), std::string::npos) << message;
}

TEST(PipelinePrefetchSource, StopsEarlyWithoutDraining) {
  // A long source left after one frame: the destructor must stop the reader, not wait it out.
  auto src = prefetch_source(open_synthetic_source(100000, 64, 48, 30), 3);
  Frame f;
  ASSERT_TRUE(src->next(f));
  EXPECT_EQ(f.index, 0);
  src.reset();
  EXPECT_EQ(kind_of([] { prefetch_source(open_synthetic_source(1, 8, 8, 30), 0); }),
            ErrorKind::kInvalidArgument);
}

TEST(PipelineOpenSource, StdinNeedsFrameSize) {
  SourceSpec spec;
  spec.source = "-";
  EXPECT_EQ(kind_of([&] { open_source(spec); }), ErrorKind::kInvalidArgument);
}

TEST(PipelineOpenSource, MissingPathIsNamed) {
  SourceSpec spec;
  spec.source = "/nonexistent/ys/photo.jpg";
  std::string msg;
  EXPECT_EQ(kind_of([&] { open_source(spec); }, &msg), ErrorKind::kNotFound);
  EXPECT_NE(msg.find("/nonexistent/ys/photo.jpg"), std::string::npos) << msg;
  spec.source = "/nonexistent/ys/*.jpg";
  EXPECT_EQ(kind_of([&] { open_source(spec); }), ErrorKind::kNotFound);
}

TEST(PipelineOpenSource, CorruptJpegIsReportedAndSkipped) {
  YS_REQUIRE_TESTDATA("data/images/messi5.jpg");
  testing::TempDir dir;
  fs::copy_file(testing::testdata("data/images/messi5.jpg"), dir / "a_good.jpg");
  {
    std::ofstream bad(dir / "b_bad.jpg", std::ios::binary);
    bad << "this is not a JPEG at all, just garbage bytes \x01\x02\x03";
    std::ofstream fake(dir / "c_header_only.jpg", std::ios::binary);
    fake << "\xFF\xD8\xFF\xE0 broken";
  }
  fs::copy_file(testing::testdata("data/images/messi5.jpg"), dir / "d_good.jpg");
  for (const std::string& source : {dir.path.string(), dir / "*.jpg"}) {
    SourceSpec spec;
    spec.source = source;
    auto src = open_source(spec);
    EXPECT_EQ(src->size(), 4);
    std::vector<std::string> seen;
    Frame f;
    while (src->next(f)) seen.push_back(fs::path(f.source).filename().string());
    EXPECT_EQ(seen, (std::vector<std::string>{"a_good.jpg", "d_good.jpg"})) << source;
    ASSERT_EQ(src->errors().size(), 2u) << source;
    EXPECT_NE(src->errors()[0].find("b_bad.jpg"), std::string::npos) << src->errors()[0];
    EXPECT_NE(src->errors()[1].find("c_header_only.jpg"), std::string::npos) << src->errors()[1];
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string le(uint32_t v, int bytes) {
  std::string out;
  for (int k = 0; k < bytes; ++k) out += static_cast<char>((v >> (8 * k)) & 0xFF);
  return out;
}

// What a list of files yields: the names of the frames, and the errors.
std::pair<std::vector<std::string>, std::vector<std::string>> run_files(
    std::vector<std::string> files, int64_t max_pixels) {
  auto src = open_media_files(std::move(files), "test files", 1, max_pixels);
  std::vector<std::string> seen;
  Frame f;
  while (src->next(f)) seen.push_back(fs::path(f.source).filename().string());
  return {seen, src->errors()};
}

TEST(PipelineImageFiles, HeadersOverThePixelBudgetAreSkippedUndecoded) {
  YS_REQUIRE_TESTDATA("data/images/messi5.jpg");
  testing::TempDir dir;
  const std::string jpg = testing::testdata("data/images/messi5.jpg");  // 548x342
  const std::string png = testing::testdata("data/images/basketball1.png");
  // Headers only: a budget that refuses them must never reach a decoder, which would fail on
  // the missing data with another message.
  write_bytes(dir / "core.bmp", "BM" + le(0, 4) + le(0, 4) + le(26, 4) + le(12, 4) + le(4000, 2) +
                                    le(3000, 2) + le(1, 2) + le(24, 2));
  write_bytes(dir / "info.bmp", "BM" + le(0, 4) + le(0, 4) + le(54, 4) + le(40, 4) + le(4000, 4) +
                                    le(static_cast<uint32_t>(-3000), 4) + std::string(28, '\0'));
  const auto webp = [](const std::string& chunk, const std::string& payload) {
    return "RIFF" + le(0, 4) + "WEBP" + chunk + le(static_cast<uint32_t>(payload.size()), 4) +
           payload + std::string(8, '\0');
  };
  write_bytes(dir / "vp8x.webp", webp("VP8X", le(0, 4) + le(3999, 3) + le(2999, 3)));
  write_bytes(dir / "vp8l.webp", webp("VP8L", "\x2f" + le(3999 | (2999u << 14), 4)));
  write_bytes(dir / "vp8.webp",
              webp("VP8 ", le(0, 3) + "\x9d\x01\x2a" + le(4000, 2) + le(3000, 2)));
  const std::vector<std::string> bombs = {"core.bmp", "info.bmp", "vp8x.webp", "vp8l.webp",
                                          "vp8.webp"};
  std::vector<std::string> files;
  for (const std::string& b : bombs) files.push_back(dir / b);
  const auto [seen, errors] = run_files(files, 4000 * 3000 - 1);
  EXPECT_TRUE(seen.empty());
  ASSERT_EQ(errors.size(), bombs.size());
  for (size_t i = 0; i < bombs.size(); ++i) {
    EXPECT_NE(errors[i].find(bombs[i] + ": its header claims 4000x3000 = 12000000 pixels, over "
                                        "the pixel budget max_pixels=11999999"),
              std::string::npos)
        << errors[i];
  }

  // JPEG and PNG through their libraries: refused one pixel under their size, read at it.
  const auto [none, refused] = run_files({jpg}, 548 * 342 - 1);
  EXPECT_TRUE(none.empty());
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].find("548x342"), std::string::npos) << refused[0];
  const auto [read, fine] = run_files({jpg}, 548 * 342);
  EXPECT_EQ(read.size(), 1u);
  EXPECT_TRUE(fine.empty());
  if (fs::exists(png)) {
    const Tensor img = read_image(png);
    const int64_t pixels = img.dim(0) * img.dim(1);
    EXPECT_THROW(read_image(png, pixels - 1), Error);
    EXPECT_NO_THROW(read_image(png, pixels));
  }
}

TEST(PipelineImageFiles, TruncatedJpegRunsAndIsRecordedAsDamaged) {
  YS_REQUIRE_TESTDATA("data/images/messi5.jpg");
  testing::TempDir dir;
  const std::string jpeg = read_bytes(testing::testdata("data/images/messi5.jpg"));
  // An APP1 segment holding an end-of-image marker, as an EXIF thumbnail does: only the main
  // image's own marker counts.
  const std::string app1 = std::string("\xFF\xE1\x00\x08", 4) + "ab\xFF\xD9";
  const std::string with_thumb = jpeg.substr(0, 2) + app1 + jpeg.substr(2);
  write_bytes(dir / "whole.jpg", with_thumb);
  write_bytes(dir / "cut.jpg", with_thumb.substr(0, with_thumb.size() / 2));
  write_bytes(dir / "no_eoi.jpg", jpeg.substr(0, jpeg.size() - 2));
  auto src = open_media_files({dir / "whole.jpg", dir / "cut.jpg", dir / "no_eoi.jpg"}, "test");
  std::vector<std::string> damage;
  Frame f;
  while (src->next(f)) damage.push_back(f.damage);
  ASSERT_EQ(damage.size(), 3u);
  EXPECT_EQ(damage[0], "");
  EXPECT_NE(damage[1].find("truncated JPEG"), std::string::npos) << damage[1];
  EXPECT_NE(damage[2].find("truncated JPEG"), std::string::npos) << damage[2];
  ASSERT_EQ(src->errors().size(), 2u);
  EXPECT_EQ(src->errors()[0].rfind(dir / "cut.jpg: truncated JPEG", 0), 0u) << src->errors()[0];
  EXPECT_EQ(src->errors()[1].rfind(dir / "no_eoi.jpg: truncated JPEG", 0), 0u) << src->errors()[1];
}

TEST(PipelineImageFiles, FifoIsSkippedNotOpened) {
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "pipe.jpg").c_str(), 0644), 0);
  ASSERT_EQ(::mkfifo((dir / "pipe.mp4").c_str(), 0644), 0);
  const auto [seen, errors] = run_files({dir / "pipe.jpg", dir / "pipe.mp4"}, kDefaultMaxPixels);
  EXPECT_TRUE(seen.empty());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("pipe.jpg is a FIFO"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("pipe.mp4 is a FIFO"), std::string::npos) << errors[1];
  SourceSpec spec;
  spec.source = dir / "pipe.jpg";
  std::string msg;
  EXPECT_EQ(kind_of([&] { open_source(spec); }, &msg), ErrorKind::kBadInput);
  EXPECT_NE(msg.find("FIFO"), std::string::npos) << msg;
}

TEST(PipelineOpenSource, SymlinkLoopIsNamedWithItsReason) {
  testing::TempDir dir;
  fs::create_symlink(dir / "b.jpg", dir / "a.jpg");
  fs::create_symlink(dir / "a.jpg", dir / "b.jpg");
  SourceSpec spec;
  spec.source = dir / "a.jpg";
  std::string msg;
  EXPECT_EQ(kind_of([&] { open_source(spec); }, &msg), ErrorKind::kIo);
  EXPECT_NE(msg.find("a.jpg: Too many levels of symbolic links"), std::string::npos) << msg;
}

// A pipe whose producer sent `frames` 4x2 frames and then stalls, holding it open.
struct StalledPipe {
  int fds[2] = {-1, -1};
  explicit StalledPipe(int frames) {
    EXPECT_EQ(::pipe(fds), 0);
    const std::string frame(4 * 2 * 3, '\x7f');
    for (int i = 0; i < frames; ++i)
      EXPECT_EQ(::write(fds[1], frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
  }
  ~StalledPipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
};

TEST(PipelineRawFdSource, CancelEndsAReadThatAStalledProducerHolds) {
  StalledPipe pipe(1);
  auto src = open_raw_fd_source(pipe.fds[0], 4, 2, "pipe");
  Frame f;
  ASSERT_TRUE(src->next(f));
  EXPECT_EQ(f.index, 0);
  bool got = true;
  std::thread reader([&] { got = src->next(f); });
  src->cancel();
  reader.join();
  EXPECT_FALSE(got);
  EXPECT_TRUE(src->errors().empty()) << src->errors()[0];  // a cancel is no truncation
  EXPECT_FALSE(src->next(f));
}

TEST(PipelineRawFdSource, ReadsFramesToTheEndOfThePipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string frames(4 * 2 * 3 * 2 + 5, '\x10');
  ASSERT_EQ(::write(fds[1], frames.data(), frames.size()), static_cast<ssize_t>(frames.size()));
  ::close(fds[1]);
  auto src = open_raw_fd_source(fds[0], 4, 2, "pipe");
  Frame f;
  EXPECT_TRUE(src->next(f));
  EXPECT_TRUE(src->next(f));
  EXPECT_EQ(f.index, 1);
  EXPECT_FALSE(src->next(f));
  ASSERT_EQ(src->errors().size(), 1u);
  EXPECT_NE(src->errors()[0].find("frame 2 is truncated: 5 of 24 bytes"), std::string::npos)
      << src->errors()[0];
  ::close(fds[0]);
}

TEST(PipelinePrefetchSource, CancelWakesTheConsumerAndTheReaderOfAStalledPipe) {
  StalledPipe pipe(2);
  auto src = prefetch_source(stride_source(open_raw_fd_source(pipe.fds[0], 4, 2, "pipe"), 1), 3);
  Frame f;
  ASSERT_TRUE(src->next(f));
  ASSERT_TRUE(src->next(f));
  bool got = true;
  std::thread consumer([&] { got = src->next(f); });
  src->cancel();
  consumer.join();
  EXPECT_FALSE(got);
  src.reset();  // joins the reading thread, which the cancel freed from its read
}

TEST(PipelineOpenSource, UnreadableDirectoryIsAnError) {
  testing::TempDir dir;
  fs::create_directory(dir / "locked");
  std::ofstream(dir / "locked/x.jpg") << "x";
  ASSERT_EQ(::chmod((dir / "locked").c_str(), 0), 0);
  // Unlocked again on the way out, or the scratch folder could not be removed.
  struct Unlock {
    std::string path;
    ~Unlock() { ::chmod(path.c_str(), 0700); }
  } unlock{dir / "locked"};
  if (DIR* d = ::opendir((dir / "locked").c_str())) {
    ::closedir(d);
    GTEST_SKIP() << "running with privileges that ignore permissions (root?): chmod 000 does not "
                    "make a directory unreadable here";
  }
  SourceSpec spec;
  spec.source = dir / "locked";
  std::string msg;
  EXPECT_EQ(kind_of([&] { open_source(spec); }, &msg), ErrorKind::kIo);
  EXPECT_NE(msg.find("locked"), std::string::npos) << msg;
}

TEST(PipelineOpenSource, UnsupportedExtension) {
  testing::TempDir dir;
  std::ofstream(dir / "notes.txt") << "hello";
  SourceSpec spec;
  spec.source = dir / "notes.txt";
  EXPECT_EQ(kind_of([&] { open_source(spec); }), ErrorKind::kInvalidArgument);
}

#ifdef YS_HAVE_OPENCV
TEST(PipelineVideoSource, ReadsFrames) {
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  SourceSpec spec;
  spec.source = testing::testdata("data/video/vtest.avi");
  auto src = open_source(spec);
  EXPECT_EQ(src->size(), 795);
  Frame f;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(src->next(f));
    EXPECT_EQ(f.image.shape(), (Shape{576, 768, 3}));
    EXPECT_EQ(f.index, i);
    EXPECT_EQ(f.kind, FrameKind::kVideo);
  }
}

// decoder=cpu on a raw Annex B stream (issue 20): OpenCV's FFmpeg opens it; it knows no frame
// count or timestamps there, but every frame comes out.
TEST(PipelineVideoSource, ReadsRawAnnexBStreams) {
  for (const char* name : {"vtest_30.h264", "vtest_30.h265"}) {
    SourceSpec spec;
    spec.source = testing::source_dir() + "/tests/fixtures/video/" + name;
    ASSERT_TRUE(is_video_path(spec.source));
    auto src = open_source(spec);
    Frame f;
    int frames = 0;
    while (src->next(f)) {
      EXPECT_EQ(f.image.shape(), (Shape{576, 768, 3}));
      EXPECT_EQ(f.index, frames++);
    }
    EXPECT_EQ(frames, 30) << name;
    EXPECT_TRUE(src->errors().empty()) << name;
  }
}

TEST(PipelineVideoSource, StrideKeepsTheSameFramesAsReadingAll) {
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  SourceSpec spec;
  spec.source = testing::testdata("data/video/vtest.avi");
  auto all = open_source(spec);
  spec.vid_stride = 20;
  auto strided = open_source(spec);
  EXPECT_EQ(strided->size(), 795) << "the video's frames, not the ones kept";
  Frame f, g;
  int64_t kept = 0;
  while (strided->next(f)) {
    ASSERT_EQ(f.index, 20 * kept) << "kept frame " << kept;
    // The skipped frames were grabbed, not retrieved: the kept one must still be the frame
    // a full read gives at that position.
    do {
      ASSERT_TRUE(all->next(g));
    } while (g.index < f.index);
    EXPECT_TRUE(same_pixels(f.image, g.image)) << "frame " << f.index;
    EXPECT_DOUBLE_EQ(f.timestamp_s, g.timestamp_s) << "frame " << f.index;
    ++kept;
  }
  EXPECT_EQ(kept, 40);  // frames 0, 20, ..., 780
  EXPECT_TRUE(strided->errors().empty());
}

TEST(PipelineVideoSource, TruncatedFileReadsUpToTheBreakThenReports) {
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  testing::TempDir dir;
  {
    std::ifstream in(testing::testdata("data/video/vtest.avi"), std::ios::binary);
    std::string head(100 * 1024, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(dir / "cut.avi", std::ios::binary) << head;
  }
  SourceSpec spec;
  spec.source = dir / "cut.avi";
  std::unique_ptr<Source> src;
  try {
    src = open_source(spec);
  } catch (const Error& e) {
    // A container too damaged to open at all must still say which file and why.
    EXPECT_NE(std::string(e.what()).find("cut.avi"), std::string::npos) << e.what();
    return;
  }
  Frame f;
  int n = 0;
  while (src->next(f)) ++n;
  std::printf("truncated video: %d frames read; %s\n", n,
              src->errors().empty() ? "(no report)" : src->errors()[0].c_str());
  EXPECT_GT(n, 0);
  EXPECT_LT(n, 795);
  ASSERT_EQ(src->errors().size(), 1u);
  EXPECT_NE(src->errors()[0].find("cut.avi"), std::string::npos) << src->errors()[0];
}
#else
TEST(PipelineVideoSource, NeedsOpenCvAndSaysHowToFeedVideo) {
  SourceSpec spec;
  spec.source = testing::testdata("data/video/vtest.avi");
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  std::string msg;
  EXPECT_EQ(kind_of([&] { open_source(spec); }, &msg), ErrorKind::kUnsupported);
  EXPECT_NE(msg.find("source=-"), std::string::npos) << msg;
}
#endif

}  // namespace
}  // namespace ys
