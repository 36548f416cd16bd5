#include "analysis/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ys {

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

Stats compute_stats(std::vector<double> v) {
  Stats s;
  s.count = static_cast<int64_t>(v.size());
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  s.median = percentile(v, 50);
  s.p90 = percentile(v, 90);
  s.p99 = percentile(v, 99);
  double var = 0;
  for (double x : v) var += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1)) : 0;
  return s;
}

Histogram make_histogram(const std::vector<double>& samples, int bins) {
  Histogram h;
  if (samples.empty() || bins <= 0) return h;
  auto [mn, mx] = std::minmax_element(samples.begin(), samples.end());
  double lo = *mn, hi = *mx;
  if (hi <= lo) hi = lo + 1e-3;
  const double width = (hi - lo) / bins;
  for (int i = 0; i <= bins; ++i) h.edges.push_back(lo + width * i);
  h.counts.assign(static_cast<size_t>(bins), 0);
  for (double x : samples) {
    int b = std::min(bins - 1, static_cast<int>((x - lo) / width));
    ++h.counts[static_cast<size_t>(b)];
  }
  return h;
}

}  // namespace ys
