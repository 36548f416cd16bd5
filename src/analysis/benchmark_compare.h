// A benchmark run as data (what `yolo benchmark` writes: per-frame times per stage and per layer,
// the machine's fingerprint, a calibration measured alongside) and the comparison of two runs
// that `yolo compare` reports: each stage's and layer's change with its interval and verdict,
// after putting the baseline on the current machine's scale when the machines differ.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analysis/compare_stats.h"

namespace ys {

struct BenchmarkSeries {
  std::string name;
  std::vector<double> ms;  // per frame, in time order
};

struct BenchmarkRecord {
  std::string created;  // UTC, ISO 8601
  // Fingerprint of the machine (cpu_model, cores, os, compiler, gpu, driver, library versions)
  // and of the work (model, model_sha256, imgsz, batch, half, device, threads, source, version).
  std::map<std::string, std::string> machine, workload;
  std::string calibration_method;      // empty: none was measured
  std::vector<double> calibration_ms;  // one fixed workload, timed between frames
  int batch = 1;
  int64_t frames = 0;                   // measured frames
  std::vector<BenchmarkSeries> stages;  // pipeline stages that ran, and "frame" (all of them)
  std::vector<BenchmarkSeries> layers;  // model layers, in execution order
  std::vector<std::string> notes;
};

enum class CompareLevel { kStage, kLayer };

// A layer's change counts only when it moves the inference median by this share or more. Layers
// are timed in a process whose memory layout differs from run to run, and the medians of the
// smallest (an Upsample of 50 us) moved by 20-30% between two runs of one build; a change that
// small in absolute terms does not move the frame either (docs/BENCHMARK.md).
inline constexpr double kLayerFloorShare = 0.005;
// auto: the calibration ratio only when the machine fingerprints differ.
enum class Normalize { kAuto, kCalibration, kNone };

struct MetricComparison {
  std::string kind;  // "stage" or "layer"
  std::string name;
  ChangeEstimate estimate;
  Verdict verdict = Verdict::kNotCompared;
};

struct ComparisonResult {
  double threshold = 0.05;
  double confidence = 0.99;
  double scale = 1;        // the baseline's times were multiplied by this
  std::string scale_note;  // how the scale was chosen, in words
  std::vector<std::string> warnings;
  std::vector<MetricComparison> metrics;  // stages first, then layers
  int regressions = 0, improvements = 0;
  bool regression() const { return regressions > 0; }
};

// "key: A -> B" for every key whose value differs (a key missing on one side counts).
std::vector<std::string> fingerprint_differences(const std::map<std::string, std::string>& a,
                                                 const std::map<std::string, std::string>& b);

// The current run's calibration time over the baseline's, each the 10th percentile of its runs:
// the fast runs that nothing interrupted measure the machine, the rest its load of the moment.
// 0 when either has none or their methods differ.
double calibration_ratio(const BenchmarkRecord& baseline, const BenchmarkRecord& current);
inline constexpr double kCalibrationPercentile = 10;

// `same_work_expected`: false for an A/B run whose two sides differ on purpose, where a workload
// difference is the point rather than a warning.
ComparisonResult compare_benchmarks(const BenchmarkRecord& baseline, const BenchmarkRecord& current,
                                    double threshold, CompareLevel level,
                                    Normalize normalize = Normalize::kAuto,
                                    bool same_work_expected = true,
                                    const BootstrapOptions& options = {});

}  // namespace ys
