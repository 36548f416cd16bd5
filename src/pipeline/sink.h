// Where results go, laid out as Ultralytics' predict mode lays them out: a run folder
// (runs/detect/predict, predict2, ...), annotated images under their own file names, one
// annotated .avi (MJPG) per video, YOLO label files labels/<stem>.txt (labels/<stem>_<frame>.txt
// for video frames, frame counted from 1) and a predictions.json of every detection, whose
// "frame" is the same number (null for still images, as Ultralytics has no frame for them).
// Every file but the video is written whole or not at all (a temporary file renamed over it); a
// video is checked after it is finalised. An output that cannot be written in full is an
// ys::Error (kIo) naming it: nothing is lost silently.
// Without OpenCV annotated images are written as <stem>.png through libpng with boxes but no
// label text, and annotated video is skipped with one warning (there is no encoder); labels and
// JSON are complete in every build.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/frame.h"
#include "pipeline/postprocess.h"

namespace ys {

struct SinkOptions {
  std::string project = "runs/detect";
  std::string name = "predict";
  bool exist_ok = false;           // reuse project/name instead of picking predict2, predict3, ...
  bool save = false;               // annotated images / videos
  bool save_txt = false;           // YOLO label files
  bool save_conf = false;          // confidence as a sixth column of the label files
  bool save_json = false;          // predictions.json
  std::vector<std::string> names;  // class names for labels and JSON
  // Frame rate of annotated videos before vid_stride: 0 takes each video file's own rate (30
  // when it has none, as for streams); raw frames on stdin and synthetic ones pass theirs.
  double video_fps = 0;
  // Saved videos play at the rate above divided by it, as Ultralytics' do, so that they last
  // as long as their source.
  int vid_stride = 1;
};

// Ultralytics' increment_path: project/name, or the first free project/name2, name3, ...
// (project/name itself when exist_ok), created with its parents. Throws ys::Error (kIo) naming
// the folder when it cannot be created or written.
std::filesystem::path make_run_dir(const std::string& project, const std::string& name,
                                   bool exist_ok);

// The lines of a YOLO label file: "cls cx cy w h [conf]", normalised to the image size,
// formatted with %g as Ultralytics does.
std::vector<std::string> yolo_label_lines(const std::vector<Detection>& dets, int width, int height,
                                          bool with_conf);

class ResultSink {
 public:
  // Creates the run folder when any output is on, and proves it writable by writing a file
  // there, so that an unwritable folder fails before the run rather than after a long video.
  explicit ResultSink(SinkOptions options);
  ~ResultSink();
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  // dets are in the frame's pixels. Throws ys::Error (kIo) when an output cannot be written.
  void write(const Frame& frame, const std::vector<Detection>& dets);
  // Finishes the open video and writes predictions.json; the destructor calls it too (and can
  // only log). Throws ys::Error (kIo) naming every output that is incomplete.
  void close();

  // Empty when every output is off.
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Video;
  void write_image(const Frame& frame, const std::vector<Detection>& dets);
  void write_video_frame(const Frame& frame, const std::vector<Detection>& dets);
  void write_labels(const Frame& frame, const std::vector<Detection>& dets);
  void finish_video();
  double video_rate(const Frame& frame) const;

  SinkOptions opt_;
  std::filesystem::path dir_;
  std::unique_ptr<Video> video_;
  bool warned_no_video_ = false;
  std::string json_;  // records so far, joined by commas
  bool closed_ = false;
};

}  // namespace ys
