#include "analysis/benchmark_compare.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "analysis/statistics.h"

namespace ys {

std::vector<std::string> fingerprint_differences(const std::map<std::string, std::string>& a,
                                                 const std::map<std::string, std::string>& b) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    const auto ia = a.find(k);
    const auto ib = b.find(k);
    const std::string va = ia == a.end() ? "(none)" : ia->second;
    const std::string vb = ib == b.end() ? "(none)" : ib->second;
    if (va != vb) out.push_back(k + ": " + va + " -> " + vb);
  }
  return out;
}

double calibration_ratio(const BenchmarkRecord& baseline, const BenchmarkRecord& current) {
  if (baseline.calibration_method.empty() ||
      baseline.calibration_method != current.calibration_method)
    return 0;
  auto low = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return percentile(v, kCalibrationPercentile);
  };
  const double a = low(baseline.calibration_ms);
  const double b = low(current.calibration_ms);
  return a > 0 && b > 0 ? b / a : 0;
}

namespace {

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : "; ") + s;
  return out;
}

// Decides ComparisonResult::scale and says why, warning where the figures may mislead.
void choose_scale(const BenchmarkRecord& baseline, const BenchmarkRecord& current,
                  Normalize normalize, ComparisonResult& r) {
  const std::vector<std::string> machine_diff =
      fingerprint_differences(baseline.machine, current.machine);
  const double ratio = calibration_ratio(baseline, current);
  const bool want = normalize == Normalize::kCalibration ||
                    (normalize == Normalize::kAuto && !machine_diff.empty());
  if (!machine_diff.empty())
    r.warnings.push_back("the machines differ (" + joined(machine_diff) + ")");
  if (!want) {
    r.scale_note = machine_diff.empty() ? "same machine: times compared as measured"
                                        : "times compared as measured (normalize=none)";
    return;
  }
  if (ratio > 0) {
    r.scale = ratio;
    r.scale_note = "baseline scaled by the calibration ratio " + fixed(ratio, 3) + " (" +
                   current.calibration_method + ", current over baseline, 10th percentiles)";
    return;
  }
  r.scale_note = "times compared as measured: no common calibration";
  r.warnings.push_back(
      "no calibration to scale the baseline by: re-baseline on this machine "
      "(yolo benchmark out=<baseline>.json) before trusting these figures");
}

void add_metrics(const std::vector<BenchmarkSeries>& base, const std::vector<BenchmarkSeries>& cur,
                 const char* kind, double min_change, const BootstrapOptions& options,
                 ComparisonResult& r) {
  std::set<std::string> seen;
  for (const BenchmarkSeries& c : cur) {
    seen.insert(c.name);
    MetricComparison m;
    m.kind = kind;
    m.name = c.name;
    for (const BenchmarkSeries& b : base) {
      if (b.name != c.name) continue;
      m.estimate = estimate_change(b.ms, c.ms, r.scale, options);
      m.verdict = judge(m.estimate, r.threshold, min_change);
      break;
    }
    if (m.verdict == Verdict::kRegression) ++r.regressions;
    if (m.verdict == Verdict::kImprovement) ++r.improvements;
    r.metrics.push_back(std::move(m));
  }
  int missing = 0;
  for (const BenchmarkSeries& b : base) missing += seen.count(b.name) ? 0 : 1;
  if (missing > 0)
    r.warnings.push_back(std::to_string(missing) + " " + kind +
                         "(s) of the baseline are not in the current run");
}

}  // namespace

ComparisonResult compare_benchmarks(const BenchmarkRecord& baseline, const BenchmarkRecord& current,
                                    double threshold, CompareLevel level, Normalize normalize,
                                    bool same_work_expected, const BootstrapOptions& options) {
  ComparisonResult r;
  r.threshold = threshold;
  r.confidence = options.confidence;
  choose_scale(baseline, current, normalize, r);
  if (same_work_expected) {
    const std::vector<std::string> work_diff =
        fingerprint_differences(baseline.workload, current.workload);
    if (!work_diff.empty())
      r.warnings.push_back("the runs measured different work (" + joined(work_diff) +
                           "): re-baseline unless that difference is what you are comparing");
  }
  add_metrics(baseline.stages, current.stages, "stage", kMinChangeMs, options, r);
  if (level == CompareLevel::kLayer) {
    // The faster run's inference: a neighbour slowing one run must not raise the floor.
    double inference_ms = 0;
    for (const BenchmarkSeries& s : current.stages)
      if (s.name == "inference") inference_ms = median_of(s.ms);
    for (const BenchmarkSeries& s : baseline.stages)
      if (s.name == "inference") inference_ms = std::min(inference_ms, median_of(s.ms) * r.scale);
    add_metrics(baseline.layers, current.layers, "layer", kLayerFloorShare * inference_ms, options,
                r);
  }
  return r;
}

}  // namespace ys
