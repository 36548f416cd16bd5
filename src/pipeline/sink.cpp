#include "pipeline/sink.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/rounding.h"
#include "pipeline/class_names.h"
#include "pipeline/draw.h"
#include "pipeline/image_io.h"

#ifdef YS_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#endif

namespace fs = std::filesystem;

namespace ys {
namespace {

void create_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    fail(ErrorKind::kIo, "output folder ", dir.string(),
         " cannot be created: ", ec ? ec.message() : "a file of that name is in the way");
  if (::access(dir.c_str(), W_OK) != 0)
    fail(ErrorKind::kIo, "output folder ", dir.string(),
         " is not writable: ", std::strerror(errno));
}

std::string stem_of(const std::string& source) {
  const std::string s = fs::path(source).stem().string();
  return s.empty() ? std::string("frame") : s;
}

// "bus.jpg", "vtest.avi frame 12": a frame as the outputs' messages name it, numbered as its
// label file is.
std::string frame_name(const Frame& frame) {
  return frame.kind == FrameKind::kImage ? frame.source
                                         : cat(frame.source, " frame ", frame.index + 1);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

fs::path make_run_dir(const std::string& project, const std::string& name, bool exist_ok) {
  fs::path dir = fs::path(project) / name;
  std::error_code ec;
  if (!exist_ok && fs::exists(dir, ec)) {
    for (int n = 2;; ++n) {
      fs::path candidate = fs::path(project) / cat(name, n);
      if (!fs::exists(candidate, ec)) {
        dir = candidate;
        break;
      }
    }
  }
  create_dir(dir);
  return dir;
}

std::vector<std::string> yolo_label_lines(const std::vector<Detection>& dets, int width, int height,
                                          bool with_conf) {
  std::vector<std::string> lines;
  const float w = static_cast<float>(width), h = static_cast<float>(height);
  for (const Detection& d : dets) {
    // float32 steps as Ultralytics' xyxy2xywh followed by the division by the image size.
    const float cx = (d.x1 + d.x2) / 2 / w, cy = (d.y1 + d.y2) / 2 / h;
    const float bw = (d.x2 - d.x1) / w, bh = (d.y2 - d.y1) / h;
    char buf[160];
    int n = std::snprintf(buf, sizeof(buf), "%d %g %g %g %g", d.cls, cx, cy, bw, bh);
    if (with_conf) std::snprintf(buf + n, sizeof(buf) - n, " %g", d.conf);
    lines.emplace_back(buf);
  }
  return lines;
}

struct ResultSink::Video {
  std::string source;
  fs::path path;
  int64_t frames = 0;  // handed to the writer
#ifdef YS_HAVE_OPENCV
  cv::VideoWriter writer;
#endif
};

ResultSink::ResultSink(SinkOptions options) : opt_(std::move(options)) {
  if (!(opt_.save || opt_.save_txt || opt_.save_json)) return;
  dir_ = make_run_dir(opt_.project, opt_.name, opt_.exist_ok);
  // access() says nothing of a full disk or a read-only mount: writing a file does.
  const fs::path probe = dir_ / ".write_test";
  write_file_atomic(probe.string(), "ok\n",
                    cat("output folder ", dir_.string(), " cannot be written"));
  std::error_code ignored;
  fs::remove(probe, ignored);
  // Created up front, as Ultralytics does, so an empty labels folder means "no detections".
  if (opt_.save_txt) create_dir(dir_ / "labels");
}

ResultSink::~ResultSink() {
  try {
    close();
  } catch (const Error& e) {
    log_error(e.what());
  }
}

void ResultSink::write(const Frame& frame, const std::vector<Detection>& dets) {
  YS_CHECK(!closed_, "write after close");
  if (opt_.save) {
    if (frame.kind == FrameKind::kImage)
      write_image(frame, dets);
    else
      write_video_frame(frame, dets);
  }
  if (opt_.save_txt && !dets.empty()) write_labels(frame, dets);
  if (opt_.save_json) {
    nlohmann::json r;
    r["source"] = frame.source;
    r["frame"] =
        frame.kind == FrameKind::kImage ? nlohmann::json() : nlohmann::json(frame.index + 1);
    r["orig_shape"] = {frame.height(), frame.width()};
    r["detections"] = nlohmann::json::array();
    for (const Detection& d : dets)
      r["detections"].push_back({{"name", class_name(opt_.names, d.cls)},
                                 {"class", d.cls},
                                 {"confidence", round_to(d.conf, 5)},
                                 {"box",
                                  {{"x1", round_to(d.x1, 5)},
                                   {"y1", round_to(d.y1, 5)},
                                   {"x2", round_to(d.x2, 5)},
                                   {"y2", round_to(d.y2, 5)}}}});
    if (!json_.empty()) json_ += ",\n";
    json_ += r.dump();
  }
}

void ResultSink::write_image(const Frame& frame, const std::vector<Detection>& dets) {
  Tensor img = frame.image.clone();
  draw_detections(img, dets, opt_.names);
#ifdef YS_HAVE_OPENCV
  const fs::path out = dir_ / fs::path(frame.source).filename();
  const cv::Mat m(frame.height(), frame.width(), CV_8UC3, img.data());
  // Encoded in memory and written whole, so that a full disk leaves no truncated image.
  std::vector<uchar> bytes;
  bool ok = false;
  try {
    ok = cv::imencode(out.extension().string(), m, bytes);
  } catch (const cv::Exception& e) {
    fail(ErrorKind::kIo, out.string(), ": cannot encode the annotated image: ", e.what());
  }
  if (!ok) fail(ErrorKind::kIo, out.string(), ": cannot encode the annotated image");
  write_file_atomic(out.string(),
                    std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                    cat("the annotated image of ", frame.source, " is lost: ", out.string()));
#else
  write_png((dir_ / (stem_of(frame.source) + ".png")).string(), img);
#endif
}

void ResultSink::write_video_frame(const Frame& frame, const std::vector<Detection>& dets) {
#ifdef YS_HAVE_OPENCV
  if (video_ && video_->source != frame.source) finish_video();
  if (!video_) {
    auto v = std::make_unique<Video>();
    v->source = frame.source;
    v->path = dir_ / (stem_of(frame.source) + ".avi");
    if (!v->writer.open(v->path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
                        video_rate(frame), cv::Size(frame.width(), frame.height())))
      fail(ErrorKind::kIo, v->path.string(), ": cannot open video writer (MJPG)");
    video_ = std::move(v);
  }
  Tensor img = frame.image.clone();
  draw_detections(img, dets, opt_.names);
  video_->writer.write(cv::Mat(frame.height(), frame.width(), CV_8UC3, img.data()));
  ++video_->frames;
#else
  (void)dets;
  if (!warned_no_video_)
    log_warn("save=True: ", frame.source,
             ": annotated video needs OpenCV, which this build lacks; labels and JSON are still "
             "written");
  warned_no_video_ = true;
#endif
}

// The source's own rate (a video file's, read from it; the one given for raw and synthetic
// frames; 30 for streams, as Ultralytics), divided by vid_stride.
double ResultSink::video_rate([[maybe_unused]] const Frame& frame) const {
  double fps = opt_.video_fps;
#ifdef YS_HAVE_OPENCV
  std::error_code ec;
  // Only a file: OpenCV logs a page of backend errors for a name it cannot open.
  if (fps <= 0 && frame.kind == FrameKind::kVideo && fs::is_regular_file(frame.source, ec)) {
    cv::VideoCapture probe(frame.source);
    if (probe.isOpened()) fps = probe.get(cv::CAP_PROP_FPS);
  }
#endif
  if (!(fps > 0 && std::isfinite(fps))) fps = 30;
  return fps / std::max(opt_.vid_stride, 1);
}

// Releases the writer and reads the file back: cv::VideoWriter reports no write error, and on
// a full disk it leaves a file without its index, which no player opens.
void ResultSink::finish_video() {
  std::unique_ptr<Video> v = std::move(video_);
  if (!v) return;
#ifdef YS_HAVE_OPENCV
  v->writer.release();
  std::error_code ec;
  const auto bytes = fs::file_size(v->path, ec);
  int64_t held = 0;
  if (!ec && bytes > 0) {
    cv::VideoCapture check(v->path.string(), cv::CAP_OPENCV_MJPEG);
    if (check.isOpened()) held = static_cast<int64_t>(check.get(cv::CAP_PROP_FRAME_COUNT));
  }
  if (held != v->frames)
    fail(ErrorKind::kIo, "the annotated video ", v->path.string(), " of ", v->source,
         " is incomplete: ", v->frames, " frames were written to it, it holds ", held,
         " (disk full, or the folder was removed?)");
#endif
}

void ResultSink::write_labels(const Frame& frame, const std::vector<Detection>& dets) {
  const fs::path labels = dir_ / "labels";
  create_dir(labels);
  std::string stem = stem_of(frame.source);
  if (frame.kind != FrameKind::kImage) stem += cat("_", frame.index + 1);
  const fs::path out = labels / (stem + ".txt");
  // Appending, as Ultralytics does, keeps labels of a source listed twice; the file is still
  // replaced whole, so a full disk never leaves it empty or cut.
  std::error_code ec;
  std::string text = fs::exists(out, ec) ? read_file(out) : std::string();
  for (const std::string& line :
       yolo_label_lines(dets, frame.width(), frame.height(), opt_.save_conf))
    text += line + '\n';
  write_file_atomic(out.string(), text,
                    cat("the labels of ", frame_name(frame), " are lost: ", out.string()));
}

void ResultSink::close() {
  if (closed_) return;
  closed_ = true;
  std::vector<std::string> lost;
  try {
    finish_video();
  } catch (const Error& e) {
    lost.emplace_back(e.what());
  }
  if (opt_.save_json) {
    const fs::path out = dir_ / "predictions.json";
    try {
      write_file_atomic(out.string(), cat("[\n", json_, "\n]\n"),
                        cat("the detections of the run are lost: ", out.string()));
    } catch (const Error& e) {
      lost.emplace_back(e.what());
    }
  }
  if (lost.empty()) return;
  std::string message = lost[0];
  for (size_t i = 1; i < lost.size(); ++i) message += "; " + lost[i];
  fail(ErrorKind::kIo, message);
}

}  // namespace ys
