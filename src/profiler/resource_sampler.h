// A background thread that samples the process's CPU utilization and resident memory from
// /proc at a fixed period. It runs beside the pipeline, so sampling never sits on the hot path.
#pragma once

#include <cstdint>
#include <vector>

#include "profiler/periodic_sampler.h"

namespace ys {

struct ResourceSample {
  int64_t t_ns = 0;        // host steady clock
  double cpu_percent = 0;  // of one core, process-wide, since the previous sample
  int64_t rss_bytes = 0;
};

class ResourceSampler {
 public:
  explicit ResourceSampler(int period_ms = 50);
  ~ResourceSampler();
  ResourceSampler(const ResourceSampler&) = delete;
  ResourceSampler& operator=(const ResourceSampler&) = delete;

  void stop() { sampler_.stop(); }
  std::vector<ResourceSample> samples() const { return sampler_.samples(); }

 private:
  int64_t last_t_ = 0;
  int64_t last_cpu_ = 0;
  PeriodicSampler<ResourceSample> sampler_;
};

// One reading of /proc/self: CPU time used so far (ns) and resident bytes; zeros where /proc is
// unavailable.
int64_t process_cpu_time_ns();
int64_t process_rss_bytes();

}  // namespace ys
