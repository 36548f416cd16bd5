// Order statistics over per-frame samples. Percentiles interpolate linearly between ranks (as
// numpy's default), so p50 of an even count is the mean of the two middle values.
#pragma once

#include <cstdint>
#include <vector>

namespace ys {

struct Stats {
  double median = 0, mean = 0, p90 = 0, p99 = 0, max = 0, min = 0, stddev = 0;
  int64_t count = 0;
};

Stats compute_stats(std::vector<double> samples);
double percentile(const std::vector<double>& sorted, double p);

struct Histogram {
  std::vector<double> edges;  // count + 1 edges
  std::vector<int64_t> counts;
};
Histogram make_histogram(const std::vector<double>& samples, int bins = 30);

}  // namespace ys
