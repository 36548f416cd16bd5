// What the session tests share: a tiny CPU detector (a built-in YOLOv8n at 64x64 on one thread),
// a fresh output folder under the temporary directory, and one frame driven through a
// ProfileSession the way the CLI runs it (read, detect, output).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "pipeline/detector.h"
#include "session/profile_session.h"

namespace ys::session_test {

inline DetectorOptions tiny_cpu() {
  DetectorOptions o;
  o.model = "yolov8n.yaml";
  o.imgsz_w = o.imgsz_h = 64;
  o.threads = 1;
  return o;
}

// <tmp>/<suite>/<name>, emptied.
inline std::filesystem::path fresh_dir(const std::string& suite, const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / suite / name;
  std::filesystem::remove_all(dir);
  return dir;
}

// One frame; `in_output` runs inside the output stage, where a test plants a stall.
inline void run_frame(ProfileSession& session, Detector& det, int64_t index,
                      const std::function<void()>& in_output = {}) {
  session.begin_frame(index);
  session.stage_begin(PipelineStage::kRead);
  const Tensor image(DType::kUInt8, {48, 64, 3});
  session.stage_end(PipelineStage::kRead);
  det.detect(image);
  session.stage_begin(PipelineStage::kOutput);
  if (in_output) in_output();
  session.stage_end(PipelineStage::kOutput);
  session.end_frame();
}

}  // namespace ys::session_test
