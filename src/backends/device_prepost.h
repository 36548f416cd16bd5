// The detection pipeline's pre- and postprocessing on the device that runs the model (the GPU
// pipeline: letterbox into the device input, box decoding, NMS), as one interface so the pipeline
// gets it from the backends registry (make_device_prepost) without naming a backend. Backends sit
// below the pipeline, so the geometry and options come in as plain structs. A backend without
// one gives nullptr, and the pipeline runs these steps on the host.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace ys {

// Where letterbox_geometry puts one image inside the model input.
struct LetterboxPlacement {
  int resized_width = 0, resized_height = 0;
  int pad_left = 0, pad_top = 0;
};

// NmsOptions (pipeline/postprocess.h), field for field.
struct DeviceNmsOptions {
  float conf = 0.25f;
  double iou = 0.7;
  int max_det = 300;
  int max_nms = 30000;
  bool agnostic = false;
  std::vector<int> classes;
  float max_wh = 7680.f;
};

// One kept box in model-input pixels.
struct DeviceDetection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float conf = 0;
  int cls = 0;
};

// The calls up to nms() enqueue work on the backend's stream and return; synchronize() waits.
class DevicePrePost {
 public:
  virtual ~DevicePrePost() = default;
  // images[i] (uint8 BGR [H, W, 3] in host memory) goes to batch slot i of `input`, the model's
  // float32 [B, 3, height, width] input in device memory.
  virtual void letterbox(const std::vector<const Tensor*>& images,
                         const std::vector<LetterboxPlacement>& placements,
                         const Tensor& input) = 0;
  // Candidates of the first `images` images of the model's output in device memory.
  virtual void decode(const Tensor& output, int images) = 0;
  // NMS on what decode() left, and the copy of the kept boxes back to the host.
  virtual void nms() = 0;
  virtual void synchronize() = 0;
  // After nms() and synchronize(): image i's detections, best first, and the candidates that
  // entered its NMS.
  virtual std::vector<DeviceDetection> detections(int image) const = 0;
  virtual int candidates(int image) const = 0;
};

}  // namespace ys
