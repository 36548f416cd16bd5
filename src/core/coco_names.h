// The 80 COCO class names in the order the official YOLO weights use. Both the built-in models
// (for their `names` metadata) and the pipeline (labels for models without metadata) need them.
#pragma once

#include <string>
#include <vector>

namespace ys {

const std::vector<std::string>& coco80_names();

}  // namespace ys
