// Outputs: run folder numbering, unwritable folders, YOLO label files, JSON and saved images.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "pipeline/class_names.h"
#include "pipeline/image_io.h"
#include "pipeline/sink.h"
#include "test_util.h"

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
  EXPECT_EQ(j[3]["frame"], 1);

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

}  // namespace
}  // namespace ys
