// One decoded picture on its way through the pipeline. The pixels live in an ys::Tensor (uint8,
// [H, W, 3], BGR like OpenCV's images) so that builds without OpenCV carry frames the same way.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace ys {

// Sinks name their outputs after it: a still image keeps its file name, video frames get a
// frame number (Ultralytics' `<stem>_<frame>.txt`).
enum class FrameKind { kImage, kVideo, kStream };

struct Frame {
  Tensor image;        // uint8 [H, W, 3], BGR
  std::string source;  // file path, URL, "stdin" or "synthetic"
  FrameKind kind = FrameKind::kImage;
  int64_t index = 0;       // 0-based position within its source
  double timestamp_s = 0;  // media time: position in a video, index / fps otherwise
  // Why the picture is incomplete though it decoded (a truncated JPEG); empty when whole. The
  // source has also listed it among its errors().
  std::string damage;
  // decoder=nvdec (issue 20): the source decoded this frame on the GPU and letterboxed it into
  // batch slot `device_slot` of its detector's input (Detector::detect_letterboxed); `image`
  // then holds host pixels only where an output draws on them, and the size is given here.
  int device_slot = -1;
  int device_width = 0, device_height = 0;
  bool on_device() const { return device_slot >= 0; }
  int height() const { return image.empty() ? device_height : static_cast<int>(image.dim(0)); }
  int width() const { return image.empty() ? device_width : static_cast<int>(image.dim(1)); }
};

}  // namespace ys
