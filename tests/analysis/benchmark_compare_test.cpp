// compare_benchmarks on hand-made records: a planted slow layer is the only layer called a
// regression, a different machine is a warning and is put on scale by the calibration ratio,
// and without a calibration the user is told to re-baseline.
#include <gtest/gtest.h>

#include <random>

#include "analysis/benchmark_compare.h"

namespace ys {
namespace {

std::vector<double> frames(double level, uint64_t seed, size_t n = 40) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 0.02);
  std::vector<double> v;
  for (size_t i = 0; i < n; ++i) v.push_back(level * (1 + z(rng)));
  return v;
}

// Stages and layers at fixed levels times `speed`, with `slow_layer` (if any) `factor` slower.
BenchmarkRecord record(uint64_t seed, double speed = 1, const std::string& slow_layer = "",
                       double factor = 1) {
  BenchmarkRecord r;
  r.machine = {{"cpu_model", "Test CPU"}, {"cores", "2"}};
  r.workload = {{"model", "yolov8n.yaml"}, {"imgsz", "320x320"}};
  r.calibration_method = "sgemm";
  r.calibration_ms = frames(2.0 * speed, seed + 100);
  const char* layers[] = {"Conv #0", "C2f #2", "SPPF #9", "Detect #22"};
  const double layer_ms[] = {3, 5, 2, 6};
  double total = 0;
  for (size_t i = 0; i < 4; ++i) {
    const double f = layers[i] == slow_layer ? factor : 1;
    r.layers.push_back({layers[i], frames(layer_ms[i] * speed * f, seed + i)});
    total += layer_ms[i] * f;
  }
  r.stages.push_back({"preprocess", frames(1.0 * speed, seed + 10)});
  r.stages.push_back({"inference", frames(total * speed, seed + 11)});
  r.frames = 40;
  return r;
}

const MetricComparison* find(const ComparisonResult& r, const std::string& name) {
  for (const MetricComparison& m : r.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

TEST(BenchmarkCompare, SameRunsGiveNoRegressionAndNoWarning) {
  const ComparisonResult r = compare_benchmarks(record(1), record(2), 0.05, CompareLevel::kLayer);
  EXPECT_FALSE(r.regression());
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_DOUBLE_EQ(r.scale, 1);
  EXPECT_EQ(r.metrics.size(), 6u);  // 2 stages + 4 layers
}

TEST(BenchmarkCompare, PlantedSlowLayerIsTheOnlyLayerRegression) {
  const ComparisonResult r =
      compare_benchmarks(record(1), record(2, 1, "C2f #2", 1.2), 0.05, CompareLevel::kLayer);
  ASSERT_TRUE(r.regression());
  for (const MetricComparison& m : r.metrics) {
    if (m.kind != "layer") continue;
    EXPECT_EQ(m.verdict == Verdict::kRegression, m.name == "C2f #2") << m.name;
  }
  EXPECT_NEAR(find(r, "C2f #2")->estimate.change, 0.2, 0.03);
  EXPECT_EQ(find(r, "preprocess")->verdict, Verdict::kNoChange);
}

// A layer whose change moves inference by less than kLayerFloorShare is not a verdict, however
// large the change is relative to the layer itself.
TEST(BenchmarkCompare, TinyLayerChangesDoNotCount) {
  BenchmarkRecord base = record(1);
  BenchmarkRecord cur = record(2);
  base.layers.push_back({"Upsample #10", frames(0.05, 77)});
  cur.layers.push_back({"Upsample #10", frames(0.065, 78)});  // +30%, 15 us of 16 ms
  const ComparisonResult r = compare_benchmarks(base, cur, 0.05, CompareLevel::kLayer);
  const MetricComparison* m = find(r, "Upsample #10");
  ASSERT_NE(m, nullptr);
  EXPECT_NEAR(m->estimate.change, 0.3, 0.03);
  EXPECT_GT(m->estimate.ci_low, 0);
  EXPECT_EQ(m->verdict, Verdict::kNoChange);
}

TEST(BenchmarkCompare, StageLevelLeavesLayersOut) {
  const ComparisonResult r =
      compare_benchmarks(record(1), record(2, 1, "C2f #2", 1.2), 0.05, CompareLevel::kStage);
  EXPECT_EQ(r.metrics.size(), 2u);
  EXPECT_EQ(find(r, "C2f #2"), nullptr);
}

TEST(BenchmarkCompare, OtherMachineIsScaledByCalibrationWithAWarning) {
  BenchmarkRecord slow = record(2, 1.5);  // everything, calibration too, 1.5x slower
  slow.machine["cpu_model"] = "Slower CPU";
  const ComparisonResult r = compare_benchmarks(record(1), slow, 0.05, CompareLevel::kLayer);
  EXPECT_FALSE(r.regression());
  EXPECT_NEAR(r.scale, 1.5, 0.03);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("cpu_model: Test CPU -> Slower CPU"), std::string::npos);
  // Told not to scale, the same figures are a regression everywhere.
  const ComparisonResult raw =
      compare_benchmarks(record(1), slow, 0.05, CompareLevel::kStage, Normalize::kNone);
  EXPECT_EQ(raw.regressions, 2);
}

TEST(BenchmarkCompare, OtherMachineWithoutCalibrationSaysRebaseline) {
  BenchmarkRecord base = record(1);
  base.calibration_method.clear();
  base.calibration_ms.clear();
  BenchmarkRecord cur = record(2);
  cur.machine["cores"] = "8";
  const ComparisonResult r = compare_benchmarks(base, cur, 0.05, CompareLevel::kStage);
  EXPECT_DOUBLE_EQ(r.scale, 1);
  bool told = false;
  for (const std::string& w : r.warnings) told |= w.find("re-baseline") != std::string::npos;
  EXPECT_TRUE(told);
}

TEST(BenchmarkCompare, DifferentWorkIsAWarningUnlessExpected) {
  BenchmarkRecord cur = record(2);
  cur.workload["imgsz"] = "640x640";
  EXPECT_EQ(compare_benchmarks(record(1), cur, 0.05, CompareLevel::kStage).warnings.size(), 1u);
  EXPECT_TRUE(compare_benchmarks(record(1), cur, 0.05, CompareLevel::kStage, Normalize::kAuto,
                                 /*same_work_expected=*/false)
                  .warnings.empty());
}

TEST(BenchmarkCompare, ForcedCalibrationOnTheSameMachine) {
  // The machine got 20% slower between the runs (load): calibration takes it out.
  const ComparisonResult r = compare_benchmarks(record(1), record(2, 1.2), 0.05,
                                                CompareLevel::kStage, Normalize::kCalibration);
  EXPECT_FALSE(r.regression());
  EXPECT_NEAR(r.scale, 1.2, 0.03);
}

TEST(BenchmarkCompare, FingerprintDifferencesNameMissingKeys) {
  const auto d = fingerprint_differences({{"a", "1"}, {"b", "2"}}, {{"b", "3"}, {"c", "4"}});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], "a: 1 -> (none)");
  EXPECT_EQ(d[1], "b: 2 -> 3");
  EXPECT_EQ(d[2], "c: (none) -> 4");
}

}  // namespace
}  // namespace ys
