// Outputs: run folder numbering, unwritable folders, YOLO label files, JSON and saved images, and
// what a full disk does to each (RLIMIT_FSIZE in a child process stands in for one: a write past
// the limit fails with EFBIG, as one on a full disk fails with ENOSPC).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "pipeline/class_names.h"
#include "pipeline/image_io.h"
#include "pipeline/sink.h"
#include "test_util.h"

#ifdef YS_HAVE_OPENCV
#include <opencv2/videoio.hpp>
#endif

namespace fs = std::filesystem;

namespace ys {
namespace {

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

Frame make_frame(const std::string& source, FrameKind kind, int64_t index) {
  Frame f;
  f.image = Tensor(DType::kUInt8, {100, 200, 3});
  f.source = source;
  f.kind = kind;
  f.index = index;
  return f;
}

// For EXPECT_EXIT's child: files may grow to `bytes` and no further (the soft limit; `bytes` 0
// lifts it again), and a write past that fails (EFBIG) instead of killing the process (SIGXFSZ).
void limit_file_size(rlim_t bytes) {
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit limit{};
  getrlimit(RLIMIT_FSIZE, &limit);
  limit.rlim_cur = bytes ? bytes : limit.rlim_max;
  setrlimit(RLIMIT_FSIZE, &limit);
}

// Runs `body` with the limit in a child and exits 0 when it threw ys::Error (kIo); what it threw
// goes to stderr for EXPECT_EXIT's pattern, once the limit is lifted (gtest keeps stderr in a
// file).
template <typename F>
[[noreturn]] void expect_io_error_in_child(rlim_t bytes, F body) {
  limit_file_size(bytes);
  try {
    body();
  } catch (const Error& e) {
    limit_file_size(0);
    std::fprintf(stderr, "thrown: %s\n", e.what());
    std::exit(e.kind() == ErrorKind::kIo ? 0 : 2);
  }
  limit_file_size(0);
  std::fprintf(stderr, "nothing thrown\n");
  std::exit(1);
}

std::vector<Detection> many_detections(int n) {
  std::vector<Detection> d;
  for (int i = 0; i < n; ++i) d.push_back({1.0f * i, 2, 30.0f + i, 40, 0.5f, i % 80});
  return d;
}

TEST(PipelineRunDir, IncrementsLikeUltralytics) {
  testing::TempDir tmp;
  const std::string project = tmp / "runs/detect";
  EXPECT_EQ(make_run_dir(project, "predict", false), fs::path(project) / "predict");
  EXPECT_EQ(make_run_dir(project, "predict", false), fs::path(project) / "predict2");
  EXPECT_EQ(make_run_dir(project, "predict", false), fs::path(project) / "predict3");
  EXPECT_EQ(make_run_dir(project, "predict", true), fs::path(project) / "predict");
  EXPECT_TRUE(fs::is_directory(fs::path(project) / "predict3"));
}

TEST(PipelineRunDir, UnwritableFolderIsAClearError) {
  testing::TempDir tmp;
  std::ofstream(tmp / "file.txt") << "x";
  // A path through a regular file fails for root too.
  const std::string project = tmp / "file.txt/sub";
  try {
    make_run_dir(project, "predict", false);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("file.txt/sub/predict"), std::string::npos) << e.what();
  }
  SinkOptions opt;
  opt.project = project;
  opt.save_txt = true;
  EXPECT_THROW(ResultSink{opt}, Error);
}

TEST(PipelineLabelLines, NormalisedLikeUltralytics) {
  const std::vector<Detection> d = {{20, 10, 120, 60, 0.87654f, 3}};
  EXPECT_EQ(yolo_label_lines(d, 200, 100, false), std::vector<std::string>{"3 0.35 0.35 0.5 0.5"});
  EXPECT_EQ(yolo_label_lines(d, 200, 100, true),
            std::vector<std::string>{"3 0.35 0.35 0.5 0.5 0.87654"});
}

TEST(PipelineResultSink, WritesLabelsJsonAndImages) {
  testing::TempDir tmp;
  SinkOptions opt;
  opt.project = tmp / "runs";
  opt.save = opt.save_txt = opt.save_conf = opt.save_json = true;
  opt.names = coco80_names();
  fs::path dir;
  const std::vector<Detection> dets = {{20, 10, 120, 60, 0.5f, 0}, {0, 0, 10, 10, 0.25f, 32}};
  {
    ResultSink sink(opt);
    dir = sink.dir();
    EXPECT_EQ(dir, fs::path(opt.project) / "predict");
    sink.write(make_frame("/data/bus.jpg", FrameKind::kImage, 0), dets);
    sink.write(make_frame("/data/empty.jpg", FrameKind::kImage, 0), {});
    for (int i = 0; i < 3; ++i)
      sink.write(make_frame("/data/walk.avi", FrameKind::kVideo, i),
                 i == 1 ? dets : std::vector<Detection>{});
  }
  EXPECT_EQ(read_text(dir / "labels/bus.txt"),
            "0 0.35 0.35 0.5 0.5 0.5\n32 0.025 0.05 0.05 0.1 0.25\n");
  EXPECT_FALSE(fs::exists(dir / "labels/empty.txt"));  // no detections, no file (as Ultralytics)
  EXPECT_TRUE(fs::exists(dir / "labels/walk_2.txt"));  // frames count from 1
  EXPECT_FALSE(fs::exists(dir / "labels/walk_1.txt"));

  const nlohmann::json j = nlohmann::json::parse(read_text(dir / "predictions.json"));
  ASSERT_EQ(j.size(), 5u);
  EXPECT_EQ(j[0]["source"], "/data/bus.jpg");
  EXPECT_EQ(j[0]["orig_shape"], nlohmann::json({100, 200}));
  EXPECT_EQ(j[0]["detections"][1]["name"], "sports ball");
  EXPECT_DOUBLE_EQ(j[0]["detections"][0]["box"]["x2"].get<double>(), 120.0);
  // Frames are numbered as the label files are, from 1 (walk_2.txt); still images have none.
  EXPECT_EQ(j[3]["frame"], 2);
  EXPECT_EQ(j[2]["frame"], 1);
  EXPECT_TRUE(j[0]["frame"].is_null());

#ifdef YS_HAVE_OPENCV
  const Tensor saved = read_image((dir / "bus.jpg").string());
  EXPECT_EQ(saved.shape(), (Shape{100, 200, 3}));
  EXPECT_GT(fs::file_size(dir / "walk.avi"), 0u);
#else
  const Tensor saved = read_image((dir / "bus.png").string());
  EXPECT_EQ(saved.shape(), (Shape{100, 200, 3}));
  // The box outline is drawn in the class colour; the frame was black.
  const uint8_t* p = saved.ptr<uint8_t>() + (10 * 200 + 60) * 3;
  EXPECT_NE(p[0] + p[1] + p[2], 0);
#endif
}

TEST(PipelineResultSink, NothingOnCreatesNoFolder) {
  testing::TempDir tmp;
  SinkOptions opt;
  opt.project = tmp / "runs";
  ResultSink sink(opt);
  sink.write(make_frame("a.jpg", FrameKind::kImage, 0), {});
  EXPECT_TRUE(sink.dir().empty());
  EXPECT_FALSE(fs::exists(opt.project));
}

// Issue 12.5: on a full disk label files were left at 0 bytes and nothing was said.
TEST(PipelineResultSinkDeathTest, LabelsOnAFullDiskAreAnErrorAndNoEmptyFile) {
  testing::TempDir tmp;
  SinkOptions opt;
  opt.project = tmp / "runs";
  opt.save_txt = true;
  EXPECT_EXIT(expect_io_error_in_child(100,
                                       [&] {
                                         ResultSink sink(opt);
                                         sink.write(make_frame("a/bus.jpg", FrameKind::kImage, 0),
                                                    many_detections(20));
                                       }),
              ::testing::ExitedWithCode(0),
              "labels of a/bus.jpg are lost: .*bus.txt.*File too large");
  const fs::path labels = fs::path(opt.project) / "predict/labels";
  EXPECT_TRUE(fs::is_directory(labels));
  EXPECT_FALSE(fs::exists(labels / "bus.txt")) << "a label file is whole or absent";
  EXPECT_TRUE(fs::is_empty(labels)) << "no temporary file is left behind";
}

TEST(PipelineResultSinkDeathTest, PredictionsJsonOnAFullDiskIsAnError) {
  testing::TempDir tmp;
  SinkOptions opt;
  opt.project = tmp / "runs";
  opt.save_json = true;
  EXPECT_EXIT(expect_io_error_in_child(2000,
                                       [&] {
                                         ResultSink sink(opt);
                                         sink.write(make_frame("bus.jpg", FrameKind::kImage, 0),
                                                    many_detections(50));
                                         sink.close();
                                       }),
              ::testing::ExitedWithCode(0), "detections of the run are lost: .*predictions.json");
  EXPECT_FALSE(fs::exists(fs::path(opt.project) / "predict/predictions.json"));
}

// Fail early: a folder that takes no file at all fails when the sink is made, before any frame.
TEST(PipelineResultSinkDeathTest, RunFolderThatTakesNoFileFailsBeforeTheRun) {
  testing::TempDir tmp;
  SinkOptions opt;
  opt.project = tmp / "runs";
  opt.save = true;
  EXPECT_EXIT(expect_io_error_in_child(1, [&] { ResultSink sink(opt); }),
              ::testing::ExitedWithCode(0), "output folder .*predict cannot be written");
}

TEST(PipelineResultSink, RelabellingASourceAppends) {
  testing::TempDir tmp;
  SinkOptions opt;
  opt.project = tmp / "runs";
  opt.save_txt = true;
  fs::path dir;
  {
    ResultSink sink(opt);
    dir = sink.dir();
    sink.write(make_frame("bus.jpg", FrameKind::kImage, 0), many_detections(1));
    sink.write(make_frame("bus.jpg", FrameKind::kImage, 0), many_detections(2));
  }
  EXPECT_EQ(read_text(dir / "labels/bus.txt"),
            "0 0.075 0.21 0.15 0.38\n0 0.075 0.21 0.15 0.38\n1 0.08 0.21 0.15 0.38\n");
}

#ifdef YS_HAVE_OPENCV
// Issue 12.5: on a full disk the annotated video was left unfinalised, and the run exited 0.
TEST(PipelineResultSinkDeathTest, TruncatedVideoIsAnError) {
  testing::TempDir tmp;
  SinkOptions opt;
  opt.project = tmp / "runs";
  opt.save = true;
  opt.video_fps = 30;
  EXPECT_EXIT(expect_io_error_in_child(20000,
                                       [&] {
                                         ResultSink sink(opt);
                                         Frame f = make_frame("walk.avi", FrameKind::kVideo, 0);
                                         for (int i = 0; i < 30; ++i) {
                                           // Noise, so that MJPG cannot compress it away.
                                           for (int64_t k = 0; k < f.image.numel(); ++k)
                                             f.image.ptr<uint8_t>()[k] =
                                                 static_cast<uint8_t>(k * 2654435761u >> (i % 7));
                                           f.index = i;
                                           sink.write(f, {});
                                         }
                                         sink.close();
                                       }),
              ::testing::ExitedWithCode(0),
              "annotated video .*walk.avi .*is incomplete: 30 frames");
}

// A video written at `fps`, `frames` long, for the sink to read the rate of.
std::string write_test_video(const testing::TempDir& tmp, double fps, int frames) {
  const std::string path = tmp / "clip.avi";
  cv::VideoWriter w(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(200, 100));
  for (int i = 0; i < frames; ++i) w.write(cv::Mat(100, 200, CV_8UC3, cv::Scalar(i, 0, 0)));
  return path;
}

double video_fps_of(const fs::path& path) {
  cv::VideoCapture cap(path.string());
  return cap.get(cv::CAP_PROP_FPS);
}

// Issue 12.6: saved video was written at 30 fps whatever the source, so vtest.avi (10 fps)
// played 3x too fast. Ultralytics writes the source's rate divided by vid_stride.
TEST(PipelineResultSink, SavedVideoPlaysAtTheSourceRateOverVidStride) {
  testing::TempDir tmp;
  const std::string clip = write_test_video(tmp, 10, 6);
  for (int stride : {1, 2}) {
    SinkOptions opt;
    opt.project = tmp / "runs";
    opt.save = true;
    opt.vid_stride = stride;
    fs::path dir;
    {
      ResultSink sink(opt);
      dir = sink.dir();
      for (int i = 0; i < 6; i += stride) sink.write(make_frame(clip, FrameKind::kVideo, i), {});
    }
    EXPECT_DOUBLE_EQ(video_fps_of(dir / "clip.avi"), 10.0 / stride) << "vid_stride=" << stride;
  }
  // Raw frames on stdin and synthetic ones give their rate.
  SinkOptions opt;
  opt.project = tmp / "runs";
  opt.save = true;
  opt.video_fps = 25;
  fs::path dir;
  {
    ResultSink sink(opt);
    dir = sink.dir();
    sink.write(make_frame("stdin", FrameKind::kVideo, 0), {});
  }
  EXPECT_DOUBLE_EQ(video_fps_of(dir / "stdin.avi"), 25.0);
}
#endif

}  // namespace
}  // namespace ys
