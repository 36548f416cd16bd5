// Drawing detections onto a frame the way Ultralytics' Annotator does (its palette, line width
// and "person 0.87" labels on a filled tab). Without OpenCV only the boxes are drawn, since there
// is no font; the labels are still in the txt and JSON outputs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "pipeline/postprocess.h"

namespace ys {

// Ultralytics' 20-colour palette, as B, G, R.
std::array<uint8_t, 3> class_color(int cls);

// Draws in place on a uint8 BGR [H, W, 3] image.
void draw_detections(Tensor& bgr, const std::vector<Detection>& dets,
                     const std::vector<std::string>& names);

}  // namespace ys
