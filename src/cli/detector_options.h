// The one mapping from the command's keys to a Detector's options (model, imgsz, batch, device,
// threads, half, the CUDA switches and NMS), shared by the modes that build a detector.
#pragma once

#include "cli/args.h"
#include "pipeline/detector.h"

namespace ys {

DetectorOptions detector_options(const Config& c);

}  // namespace ys
