// The Detector for a command's options, with two kinds of user error said as the user's: a model=
// that is not a regular file (a FIFO would block the load forever) or cannot be resolved (a
// symlink loop, a name too long), and running out of memory while building the model at the size
// asked for (imgsz=1000000), which would otherwise surface as "internal error: std::bad_alloc".
#pragma once

#include "pipeline/detector.h"

namespace ys {

Detector load_detector(const DetectorOptions& options);

// The prepared graph only (yolo info), with the same check of model=; allocates no arena.
Graph load_model_graph_checked(const DetectorOptions& options, ModelDescription& desc);

}  // namespace ys
