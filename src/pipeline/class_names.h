// Class names: the COCO table the official YOLO weights use, the `names` metadata that Ultralytics
// writes into its ONNX exports (a Python dict literal), and the per-image console summary
// ("2 persons, 1 sports ball") in Ultralytics' wording.
#pragma once

#include <string>
#include <vector>

#include "core/coco_names.h"
#include "pipeline/postprocess.h"

namespace ys {

// Parses "{0: 'person', 1: 'bicycle'}" (or a list literal "['person', 'bicycle']"); indices
// missing from a dict get their number as name. Throws
// ErrorKind::kBadModel naming the position of a syntax error.
std::vector<std::string> parse_names(const std::string& literal);

// names[cls], or the number itself when the table is shorter.
std::string class_name(const std::vector<std::string>& names, int cls);

// Per class in class order: "2 persons, 1 sports ball"; "(no detections)" when empty.
std::string detection_summary(const std::vector<Detection>& dets,
                              const std::vector<std::string>& names);

}  // namespace ys
