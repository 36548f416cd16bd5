// The what-if runner: puts a measured gain beside an advisor finding's estimate by repeating
// frames recorded in the profiled window through the detector as configured and through a second
// one built with the finding's settings. It sits in the session layer because it builds and runs
// Detectors; the advisor's rules (analysis/advisor.h) only propose the settings.
#pragma once

#include <vector>

#include "analysis/advisor.h"
#include "pipeline/detector.h"

namespace ys {

// Runs the two detectors over `frames` alternately and records the measured gain in percent of
// `latency_ms` (the profile's median frame latency). Settings that cannot be tried here (half,
// cuda_graph without a GPU) leave a reason in measured_how. Frames are BGR uint8 [H, W, 3].
void verify_finding(Finding& f, Detector& baseline, const std::vector<Tensor>& frames,
                    double latency_ms, bool gpu_available);

}  // namespace ys
