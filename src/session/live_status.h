// The live dashboard's figures (GET /live.json, polled once a second by the page): fps now,
// p50 and p99 of each stage over the last minute, GPU, CPU and memory, spikes, progress through
// the source, first findings, and the report's address once the run has written it. Figures over
// a window come from differences between snapshots that this object keeps as it is polled, under
// a lock that only the server's threads take: the pipeline only ever writes its atomics.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "profiler/live_metrics.h"

namespace ys {

// The q-quantile (0..1) of a histogram as Prometheus' histogram_quantile estimates it: linear
// inside the bucket that holds the rank, the first bucket from 0, and the last finite bound when
// the rank falls in +Inf. `counts` per bucket, not cumulative, bounds.size() + 1 of them.
// Returns -1 for an empty histogram.
double histogram_quantile(double q, const double* bounds, size_t bound_count,
                          const uint64_t* counts);

class LiveStatus {
 public:
  explicit LiveStatus(const LiveMetrics& metrics) : metrics_(metrics) {}

  // The JSON document; safe to call from any number of server threads at once.
  std::string json();

 private:
  const LiveMetrics& metrics_;
  std::mutex mu_;
  std::deque<LiveSnapshot> history_;  // about one a second, the last minute
};

}  // namespace ys
