// summary.json (schema in docs/PROFILE_SCHEMA.md): every figure of an analysed profile, the run
// and the machine it was taken on, in one file that the HTML page, `yolo compare` and other tools
// read. Without a GPU analysis (a CPU run) its "gpu" is null.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "analysis/gpu_analysis.h"
#include "analysis/profile_analysis.h"
#include "profiler/environment.h"
#include "profiler/schedule.h"

namespace ys {

constexpr int kProfileSchemaVersion = 2;

struct ModelInfo {
  std::string name, path, sha256, family;
  bool synthetic_weights = false;
  Shape input_shape;
  int64_t parameters = 0;
  double gflops = 0;
  int64_t layers = 0, ops = 0;
};

struct RunInfo {
  std::string source;
  int64_t frames_total = 0;
  ProfileSchedule schedule;
  int64_t batch = 1;
  std::string device, backend;
  int threads = 0;
  std::vector<std::pair<std::string, std::string>> args;
  // What the reader must know to trust the figures: a source shorter than the schedule, a
  // setting that did nothing on this device. Shown in the console, summary.json and the report.
  std::vector<std::string> notes;
};

// `gpu` null (a CPU run) writes "gpu": null.
nlohmann::json summary_json(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                            const Environment& env,
                            const nlohmann::json& advice = nlohmann::json::array(),
                            const GpuAnalysis* gpu = nullptr);
// summary.json's "gpu" object on its own (report/gpu_summary_json.cpp).
nlohmann::json gpu_summary_json(const GpuAnalysis& gpu);

}  // namespace ys
