// Where results go, laid out as Ultralytics' predict mode lays them out: a run folder
// (runs/detect/predict, predict2, ...), annotated images under their own file names, one
// annotated .avi (MJPG) per video, YOLO label files labels/<stem>.txt (labels/<stem>_<frame>.txt
// for video frames, frame counted from 1) and a predictions.json of every detection.
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
  double video_fps = 30;           // frame rate of annotated videos
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
  // Creates the run folder when any output is on.
  explicit ResultSink(SinkOptions options);
  ~ResultSink();
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  // dets are in the frame's pixels. Throws ys::Error (kIo) when an output cannot be written.
  void write(const Frame& frame, const std::vector<Detection>& dets);
  // Finishes the open video and writes predictions.json; the destructor calls it too.
  void close();

  // Empty when every output is off.
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Video;
  void write_image(const Frame& frame, const std::vector<Detection>& dets);
  void write_video_frame(const Frame& frame, const std::vector<Detection>& dets);
  void write_labels(const Frame& frame, const std::vector<Detection>& dets);

  SinkOptions opt_;
  std::filesystem::path dir_;
  std::unique_ptr<Video> video_;
  bool warned_no_video_ = false;
  std::string json_;  // records so far, joined by commas
  bool closed_ = false;
};

}  // namespace ys
