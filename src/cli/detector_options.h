// The command's parsed arguments as a Detector's options, for the modes that build a detector
// (predict, info, benchmark, compare). The key-to-field mapping itself is
// pipeline/detector_options.h, which the what-if runner shares; this only reads the Config.
#pragma once

#include "cli/args.h"
#include "pipeline/detector.h"

namespace ys {

DetectorOptions detector_options(const Config& c);

}  // namespace ys
