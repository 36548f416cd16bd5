// Turning a YOLOv8/11/v5u detection head's output [B, 4 + nc, N] (cx, cy, w, h, then one score
// per class; no objectness) into boxes, as Ultralytics' non_max_suppression and scale_boxes do:
// same thresholds and comparisons, class offsets, float32 arithmetic and ordering, so boxes agree
// to the pixel and scores to the hundredth.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "pipeline/letterbox.h"

namespace ys {

struct Detection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // corners, pixels
  float conf = 0;
  int cls = 0;
};

struct NmsOptions {
  float conf = 0.25f;        // keep boxes whose best class score is > conf (float32 compare)
  double iou = 0.7;          // suppress a box whose IoU with a kept one is > iou
  int max_det = 300;         // detections kept per image
  int max_nms = 30000;       // candidates entering NMS, best scores first
  bool agnostic = false;     // one NMS over all classes instead of one per class
  std::vector<int> classes;  // keep only these classes; empty keeps all
  float max_wh = 7680.f;     // class offset that keeps classes apart in class-aware NMS
};

// One image: pred points at [channels, anchors] floats (channels = 4 + nc). Boxes are in the
// model input's pixels, sorted by score, best first.
std::vector<Detection> non_max_suppression(const float* pred, int channels, int anchors,
                                           const NmsOptions& opt = {});

// The two halves of non_max_suppression, so the profiler can time them apart: candidates above
// the threshold (corners, best class), sorted best first and cut to max_nms; then greedy NMS.
std::vector<Detection> decode_candidates(const float* pred, int channels, int anchors,
                                         const NmsOptions& opt = {});
std::vector<Detection> nms_candidates(const std::vector<Detection>& candidates,
                                      const NmsOptions& opt = {});

// A float32 [B, 4 + nc, N] tensor: one list per image.
std::vector<std::vector<Detection>> non_max_suppression(const Tensor& pred,
                                                        const NmsOptions& opt = {});

// From model-input pixels back to the original image: subtract the padding, divide by the gain,
// clip to [0, width] x [0, height]. The padding is recomputed from the shapes as Ultralytics'
// scale_boxes does (it can differ by one from the letterbox's own at half pixels).
void scale_boxes(std::vector<Detection>& dets, const LetterboxInfo& info);

// Intersection over union of two boxes (0 when both are empty).
float box_iou(const Detection& a, const Detection& b);

}  // namespace ys
