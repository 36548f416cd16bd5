#include "analysis/gpu_memory.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ys {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// The larger of two figures, either of which may be missing (NaN).
double larger(double a, double b) {
  if (std::isnan(a)) return b;
  if (std::isnan(b)) return a;
  return std::max(a, b);
}

GpuMemoryPoint merge(const GpuMemoryPoint& a, const GpuMemoryPoint& b) {
  return {a.t0_s,
          b.t1_s,
          larger(a.used_mib, b.used_mib),
          larger(a.ours_mib, b.ours_mib),
          larger(a.others_mib, b.others_mib),
          a.samples + b.samples};
}

}  // namespace

GpuMemoryRecorder::GpuMemoryRecorder(int own_pid, int64_t start_ns, size_t max_points)
    : own_pid_(own_pid), start_ns_(start_ns), max_points_(std::max<size_t>(2, max_points)) {}

void GpuMemoryRecorder::add(const NvmlSample& s) {
  size_t d = 0;
  while (d < devices_.size() && devices_[d].device != s.device) ++d;
  if (d == devices_.size()) {
    devices_.push_back({});
    devices_.back().device = s.device;
    span_.push_back(1);
  }
  GpuMemoryTimeline& tl = devices_[d];
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double t = static_cast<double>(s.t_ns - start_ns_) / 1e9;
  GpuMemoryPoint p{t,   t,   s.mem_used_bytes ? static_cast<double>(*s.mem_used_bytes) / kMiB : nan,
                   nan, nan, 1};
  if (!s.processes.empty()) {
    double others = 0;
    for (const NvmlSample::Process& pr : s.processes) {
      const double mib = static_cast<double>(pr.memory_bytes) / kMiB;
      if (pr.pid == own_pid_) {
        p.ours_mib = larger(p.ours_mib, mib);
        continue;
      }
      others += mib;
      auto seen = std::find_if(tl.others.begin(), tl.others.end(),
                               [&](const GpuMemoryProcess& o) { return o.pid == pr.pid; });
      if (seen == tl.others.end()) {
        // Bounded too: a machine where processes come and go all day keeps the largest.
        if (tl.others.size() >= 64) {
          auto smallest =
              std::min_element(tl.others.begin(), tl.others.end(),
                               [](const GpuMemoryProcess& a, const GpuMemoryProcess& b) {
                                 return a.max_mib < b.max_mib;
                               });
          if (smallest->max_mib >= mib) continue;
          tl.others.erase(smallest);
        }
        tl.others.push_back({pr.pid, pr.comm, mib});
      } else {
        seen->max_mib = std::max(seen->max_mib, mib);
        if (seen->comm.empty()) seen->comm = pr.comm;
      }
    }
    p.others_mib = others;
  }
  ++tl.samples;
  int64_t& span = span_[d];
  if (!tl.points.empty() && tl.points.back().samples < span) {
    tl.points.back() = merge(tl.points.back(), p);
    return;
  }
  if (tl.points.size() == max_points_) {
    std::vector<GpuMemoryPoint> halved;
    halved.reserve(max_points_ / 2 + 1);
    for (size_t i = 0; i + 1 < tl.points.size(); i += 2)
      halved.push_back(merge(tl.points[i], tl.points[i + 1]));
    if (tl.points.size() % 2) halved.push_back(tl.points.back());
    tl.points = std::move(halved);
    span *= 2;
    if (tl.points.back().samples < span) {
      tl.points.back() = merge(tl.points.back(), p);
      return;
    }
  }
  tl.points.push_back(p);
}

std::vector<GpuMemoryTimeline> GpuMemoryRecorder::timelines(size_t top_others) const {
  std::vector<GpuMemoryTimeline> out = devices_;
  for (GpuMemoryTimeline& tl : out) {
    std::stable_sort(
        tl.others.begin(), tl.others.end(),
        [](const GpuMemoryProcess& a, const GpuMemoryProcess& b) { return a.max_mib > b.max_mib; });
    if (tl.others.size() > top_others) tl.others.resize(top_others);
  }
  std::sort(out.begin(), out.end(), [](const GpuMemoryTimeline& a, const GpuMemoryTimeline& b) {
    return a.device < b.device;
  });
  return out;
}

std::vector<GpuMemoryTimeline> gpu_memory_over_time(const std::vector<NvmlSample>& samples,
                                                    int own_pid, int64_t start_ns,
                                                    size_t max_points) {
  std::vector<const NvmlSample*> sorted;
  for (const NvmlSample& s : samples) sorted.push_back(&s);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const NvmlSample* a, const NvmlSample* b) { return a->t_ns < b->t_ns; });
  GpuMemoryRecorder r(own_pid, start_ns, max_points);
  for (const NvmlSample* s : sorted) r.add(*s);
  return r.timelines();
}

std::optional<int64_t> device_workspace_bytes(const Executor& executor) {
  const DeviceTimer* timer = executor.backend().device_timer();
  const int64_t bytes = timer ? timer->workspace_bytes() : -1;
  if (bytes < 0) return std::nullopt;
  return bytes;
}

}  // namespace ys
