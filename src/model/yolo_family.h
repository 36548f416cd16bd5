// Recognising the YOLO family of a graph and mapping every node to its Ultralytics module
// (index and class, from the family's layer list) and stage: backbone, neck or head. Names like
// "/model.15/cv2/conv/Conv" carry the index; nodes without one inherit it from their inputs.
#pragma once

#include <string>
#include <vector>

#include "model/graph.h"

namespace ys {

struct FamilyLayout {
  std::string family;                     // "yolov8", "yolo11", "yolov5u", "yolov9"
  std::vector<std::string> module_types;  // per module index
  int backbone_end = 0;                   // modules [0, backbone_end) are the backbone
  int head_index = 0;                     // the Detect module; between them: the neck
};

// The layer list of a known family; nullptr when unknown. `variant` distinguishes YOLOv9's t/s
// (AConv, ELAN1) from its c/e layouts (ADown).
const FamilyLayout* family_layout(const std::string& family, const std::string& variant = "");

// Index from a node or tensor name ("/model.15/..." or "model.15...."), -1 when absent.
int module_index_from_name(const std::string& name);

// Sets Graph::family and every node's module, module_type and stage.
void map_yolo_modules(Graph& g);

}  // namespace ys
