// Device memory over time (issue 15.5): NVML's used memory of each device, split into this
// process and the others by NVML's list of compute processes, so that a report shows whether an
// out-of-memory came from our arena or from another process arriving. A run of a day keeps a
// bounded number of points: when a device's timeline is full, neighbouring points merge in pairs
// (halving the resolution), each point keeping the largest figures of the samples it covers,
// because an out-of-memory is about peaks, not means.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "profiler/gpu_trace.h"
#include "runtime/executor.h"

namespace ys {

struct GpuMemoryPoint {
  double t0_s = 0, t1_s = 0;  // first and last sample it covers, seconds since the run started
  // Largest over its samples; NaN where no sample had the figure (NVML listed no process, or not
  // ours: another PID namespace).
  double used_mib, ours_mib, others_mib;
  int64_t samples = 0;
};

struct GpuMemoryProcess {
  int pid = 0;
  std::string comm;
  double max_mib = 0;
};

struct GpuMemoryTimeline {
  int device = 0;
  int64_t samples = 0;
  std::vector<GpuMemoryPoint> points;
  std::vector<GpuMemoryProcess> others;  // every other process seen, largest first at the end
};

// Adds samples one at a time (a long run's sampler thread) with at most `max_points` points per
// device. `own_pid` tells our process from the others; `start_ns` is the run's start.
class GpuMemoryRecorder {
 public:
  GpuMemoryRecorder(int own_pid, int64_t start_ns, size_t max_points = 2048);
  void add(const NvmlSample& s);
  // The timelines by device, others sorted largest first and capped at `top_others`.
  std::vector<GpuMemoryTimeline> timelines(size_t top_others = 8) const;

 private:
  int own_pid_;
  int64_t start_ns_;
  size_t max_points_;
  std::vector<GpuMemoryTimeline> devices_;
  std::vector<int64_t> span_;  // per device: samples a point may cover before the next starts
};

// The window's samples at once (sorted by time per device inside).
std::vector<GpuMemoryTimeline> gpu_memory_over_time(const std::vector<NvmlSample>& samples,
                                                    int own_pid, int64_t start_ns,
                                                    size_t max_points = 2048);

// The scratch bytes the executor's backend holds on its device (cuDNN's and cuBLAS's workspaces);
// empty on the CPU or where the backend does not say.
std::optional<int64_t> device_workspace_bytes(const Executor& executor);

}  // namespace ys
