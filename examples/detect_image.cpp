// Detect objects in one image with YoloScope's library API.
// Usage: detect_image <model.onnx | yolov8n.yaml> <image>
#include <cstdio>

#include "core/error.h"
#include "pipeline/class_names.h"
#include "pipeline/detector.h"
#include "pipeline/image_io.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <model.onnx | yolov8n.yaml> <image>\n", argv[0]);
    return 2;
  }
  try {
    ys::DetectorOptions options;
    options.model = argv[1];   // an ONNX export, or a built-in architecture (synthetic weights)
    options.nms.conf = 0.25f;  // Ultralytics' defaults: conf 0.25, iou 0.7, max_det 300
    ys::Detector detector(options);

    ys::Tensor image = ys::read_image(argv[2]);  // uint8 BGR [height, width, 3]
    for (const ys::Detection& d : detector.detect(image)) {
      std::printf("%s %.2f [%.1f, %.1f, %.1f, %.1f]\n",
                  ys::class_name(detector.model().names, d.cls).c_str(), d.conf, d.x1, d.y1, d.x2,
                  d.y2);
    }
  } catch (const ys::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
