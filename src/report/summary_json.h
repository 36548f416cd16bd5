// summary.json (schema in docs/PROFILE_SCHEMA.md): every figure of an analysed profile, the run
// and the machine it was taken on, in one file that the HTML page, `yolo compare` and other tools
// read. Without a GPU analysis (a CPU run) its "gpu" is null.
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/gpu_analysis.h"
#include "analysis/profile_analysis.h"
#include "analysis/run_info.h"

namespace ys {

constexpr int kProfileSchemaVersion = 2;

// `gpu` null (a CPU run) writes "gpu": null.
nlohmann::json summary_json(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                            const Environment& env,
                            const nlohmann::json& advice = nlohmann::json::array(),
                            const GpuAnalysis* gpu = nullptr);
// summary.json's "gpu" object on its own (report/gpu_summary_json.cpp).
nlohmann::json gpu_summary_json(const GpuAnalysis& gpu);

}  // namespace ys
