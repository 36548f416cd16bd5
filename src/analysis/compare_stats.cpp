#include "analysis/compare_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "analysis/statistics.h"

namespace ys {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kRegression:
      return "regression";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kNotCompared:
      return "not compared";
    case Verdict::kNoChange:
      break;
  }
  return "no significant change";
}

double median_of(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return percentile(samples, 50);
}

double lag1_autocorrelation(const std::vector<double>& series) {
  const size_t n = series.size();
  if (n < 3) return 0;
  const double mean = std::accumulate(series.begin(), series.end(), 0.0) / static_cast<double>(n);
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = series[i] - mean;
    den += d * d;
    if (i + 1 < n) num += d * (series[i + 1] - mean);
  }
  return den > 0 ? num / den : 0;
}

size_t block_length(size_t n, double rho) {
  if (n < 3) return 1;
  double len = std::ceil(std::cbrt(static_cast<double>(n)));
  // Negative correlation shortens nothing: alternating frames are still frames.
  const double r = std::clamp(rho, 0.0, 0.95);
  len = std::max(len, std::ceil((1 + r) / (1 - r) - 1e-9));  // 19.000000000000004 is 19
  return std::clamp<size_t>(static_cast<size_t>(len), 1, std::max<size_t>(n / 3, 1));
}

namespace {

// Relative difference of the medians of the second and first halves.
double half_drift(const std::vector<double>& s) {
  if (s.size() < 4) return 0;
  const auto mid = s.begin() + static_cast<std::ptrdiff_t>(s.size() / 2);
  const double first = median_of({s.begin(), mid});
  const double second = median_of({mid, s.end()});
  return first > 0 ? std::abs(second / first - 1) : 0;
}

// The median of one circular block resample of `s`, using `scratch` as its buffer.
double resampled_median(const std::vector<double>& s, size_t block, std::mt19937_64& rng,
                        std::vector<double>& scratch) {
  const size_t n = s.size();
  scratch.clear();
  std::uniform_int_distribution<size_t> start(0, n - 1);
  while (scratch.size() < n) {
    const size_t b = start(rng);
    for (size_t k = 0; k < block && scratch.size() < n; ++k) scratch.push_back(s[(b + k) % n]);
  }
  const size_t half = n / 2;
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(half),
                   scratch.end());
  const double hi = scratch[half];
  if (n % 2) return hi;
  const double lo =
      *std::max_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(half));
  return (lo + hi) / 2;
}

// The paired form of estimate_change (BootstrapOptions::paired), filling `e` past its medians.
ChangeEstimate paired_change(const std::vector<double>& a, const std::vector<double>& b,
                             double scale, const BootstrapOptions& options, ChangeEstimate e) {
  std::vector<double> ratios;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i] > 0) ratios.push_back(b[i] / (a[i] * scale));
  if (ratios.empty()) {
    e.valid = false;
    return e;
  }
  e.change = median_of(ratios) - 1;
  e.autocorrelation = lag1_autocorrelation(ratios);
  e.block = options.block ? options.block : block_length(ratios.size(), e.autocorrelation);
  e.drift = half_drift(ratios);
  std::mt19937_64 rng(options.seed);
  std::vector<double> scratch, changes;
  for (int r = 0; r < options.resamples; ++r)
    changes.push_back(resampled_median(ratios, e.block, rng, scratch) - 1);
  std::sort(changes.begin(), changes.end());
  const double tail = (1 - options.confidence) / 2 * 100;
  e.ci_low = std::min(changes.empty() ? e.change : percentile(changes, tail), e.change);
  e.ci_high = std::max(changes.empty() ? e.change : percentile(changes, 100 - tail), e.change);
  return e;
}

}  // namespace

ChangeEstimate estimate_change(const std::vector<double>& baseline,
                               const std::vector<double>& current, double scale,
                               const BootstrapOptions& options) {
  ChangeEstimate e;
  e.baseline_n = baseline.size();
  e.current_n = current.size();
  e.baseline_median = median_of(baseline) * scale;
  e.current_median = median_of(current);
  if (baseline.empty() || current.empty() || !(e.baseline_median > 0) || !(scale > 0)) return e;
  e.valid = true;
  if (options.paired) return paired_change(baseline, current, scale, options, e);
  e.change = e.current_median / e.baseline_median - 1;
  const double rho_a = lag1_autocorrelation(baseline);
  const double rho_b = lag1_autocorrelation(current);
  e.autocorrelation = std::max(rho_a, rho_b);
  const size_t block_a = options.block ? options.block : block_length(baseline.size(), rho_a);
  const size_t block_b = options.block ? options.block : block_length(current.size(), rho_b);
  e.block = std::max(block_a, block_b);
  e.drift = std::max(half_drift(baseline), half_drift(current));
  const double widen = options.widen_by_drift ? e.drift : 0;

  std::mt19937_64 rng(options.seed);
  std::vector<double> scratch_a, scratch_b, ratios;
  ratios.reserve(static_cast<size_t>(std::max(options.resamples, 1)));
  for (int r = 0; r < options.resamples; ++r) {
    const double a = resampled_median(baseline, block_a, rng, scratch_a) * scale;
    const double b = resampled_median(current, block_b, rng, scratch_b);
    if (a > 0) ratios.push_back(b / a - 1);
  }
  if (ratios.empty()) {
    e.ci_low = e.change - widen;
    e.ci_high = e.change + widen;
    return e;
  }
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - options.confidence) / 2 * 100;
  e.ci_low = std::min(percentile(ratios, tail), e.change) - widen;
  e.ci_high = std::max(percentile(ratios, 100 - tail), e.change) + widen;
  return e;
}

Verdict judge(const ChangeEstimate& e, double threshold, double min_change) {
  if (!e.valid) return Verdict::kNotCompared;
  if (std::abs(e.current_median - e.baseline_median) <= std::max(min_change, kMinChangeMs))
    return Verdict::kNoChange;
  if (e.change > threshold && e.ci_low > 0) return Verdict::kRegression;
  if (e.change < -threshold && e.ci_high < 0) return Verdict::kImprovement;
  return Verdict::kNoChange;
}

}  // namespace ys
