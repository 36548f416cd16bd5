// The few lines a profiled run prints on the terminal: latency, where the time goes, the slowest
// layers, memory, the GPU's figures, the profiler's own overhead and where the report is.
#pragma once

#include <string>

#include "analysis/gpu_analysis.h"
#include "analysis/profile_analysis.h"
#include "analysis/run_info.h"

namespace ys {

std::string console_summary(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                            const std::string& report_dir, const GpuAnalysis* gpu = nullptr);

}  // namespace ys
