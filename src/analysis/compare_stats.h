// The statistics behind `yolo compare`: how much the median of a per-frame time moved between a
// baseline and a current run, with a confidence interval from a circular block bootstrap, and
// the verdict that follows. Frames of one run are not independent (a busy neighbour slows a
// stretch of consecutive frames), so frames are resampled in blocks at least as long as the
// series' autocorrelation lasts; an interval from single frames would be too narrow on a shared
// machine and cry wolf. docs/BENCHMARK.md gives the reasoning. Pure functions, deterministic:
// the same samples always give the same interval.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ys {

struct BootstrapOptions {
  double confidence = 0.99;  // two-sided
  int resamples = 2000;
  uint64_t seed = 0x5eedULL;
  size_t block = 0;  // frames per block; 0 chooses block_length() from the series
  // Widen the interval by the runs' drift (ChangeEstimate::drift). Off for A/B runs, whose sides
  // alternate frames: a drift then moves both sides alike and cancels in their ratio.
  bool widen_by_drift = true;
  // A/B runs: frame i of one side ran next to frame i of the other, so the change is the median
  // of the per-pair ratios, resampled in blocks of pairs. A neighbour's burst then slows both
  // frames of a pair and cancels, where it would widen the interval of two separate medians.
  bool paired = false;
};

struct ChangeEstimate {
  size_t baseline_n = 0, current_n = 0;
  double baseline_median = 0, current_median = 0;  // in the samples' unit
  // current / baseline - 1 of the medians, and its interval at the options' confidence: the
  // bootstrap's percentile interval widened on both sides by `drift` (below).
  double change = 0, ci_low = 0, ci_high = 0;
  size_t block = 1;            // frames per resampled block (the larger of the two sides')
  double autocorrelation = 0;  // lag-1, the larger of the two sides'
  // Relative difference between the medians of a run's second and first half, the larger of the
  // two sides': how far the machine drifted while one run lasted. A run that moved by d during
  // itself cannot place its own level closer than d, and another run, minutes apart, may have
  // caught either state; resampling within the run cannot see that, so the interval is widened.
  double drift = 0;
  bool valid = false;  // both sides have samples and a positive baseline median
};

enum class Verdict { kNoChange, kRegression, kImprovement, kNotCompared };
const char* verdict_name(Verdict v);  // "no significant change", "regression", ...

// Median with linear interpolation (numpy's default), 0 for no samples.
double median_of(std::vector<double> samples);

// Lag-1 autocorrelation of a series in time order; 0 for fewer than 3 samples or no variance.
double lag1_autocorrelation(const std::vector<double>& series);

// Frames per block for a series of n with lag-1 autocorrelation rho: n^(1/3) (the usual rate
// for a median), and at least the AR(1) integrated autocorrelation time (1 + rho) / (1 - rho),
// so blocks outlast the dependence; at most n / 3, so a resample still mixes three blocks.
size_t block_length(size_t n, double rho);

// The change of the median from `baseline` to `current` (both in time order). `scale`
// multiplies the baseline first (a calibration ratio between machines; 1 on the same machine).
// With options.paired, the change is the median of current[i] / baseline[i] over the pairs.
ChangeEstimate estimate_change(const std::vector<double>& baseline,
                               const std::vector<double>& current, double scale = 1.0,
                               const BootstrapOptions& options = {});

// A change counts when it is beyond `threshold` (a fraction), its interval excludes zero, and the
// medians differ by more than `min_change` (for samples in ms, at least what the clock resolves).
inline constexpr double kMinChangeMs = 0.002;
Verdict judge(const ChangeEstimate& e, double threshold, double min_change = kMinChangeMs);

}  // namespace ys
