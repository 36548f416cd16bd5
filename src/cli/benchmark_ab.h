// A/B in one run for `yolo compare a=... b=...`: two sides measured alternately so that both
// see the same machine state (a neighbour's build, a thermal phase, a frequency change) instead of
// one getting the quiet minute and the other the busy one. A side is either a configuration, a
// list of key=value changes to the command's own keys ("threads=1 imgsz=320"), or the path of a
// `yolo` binary. Two configurations alternate frame by frame in this process (ABBA order, which
// also cancels a linear drift); with a binary, both sides run as `yolo benchmark` processes
// alternating in chunks of frames, and their files are joined.
#pragma once

#include <string>
#include <utility>

#include "analysis/benchmark_compare.h"
#include "cli/args.h"

namespace ys {

// Baseline (a) and current (b). Throws ys::Error(kInvalidArgument) for a side that is neither a
// binary nor valid key=value changes.
std::pair<BenchmarkRecord, BenchmarkRecord> run_ab(const Config& c, const std::string& a,
                                                   const std::string& b);

}  // namespace ys
