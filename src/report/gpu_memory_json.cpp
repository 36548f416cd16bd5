#include "report/gpu_memory_json.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace ys {
namespace {

using nlohmann::json;

json rounded(double v, double step) {
  if (std::isnan(v) || !std::isfinite(v)) return nullptr;
  return std::round(v / step) * step;
}

json optional_bytes(const std::optional<int64_t>& b) {
  return b ? json(*b) : json(nullptr);
}

}  // namespace

json gpu_memory_json(const std::vector<GpuMemoryTimeline>& timelines, const GpuMemoryPlan& plan) {
  json devices = json::array();
  for (const GpuMemoryTimeline& tl : timelines) {
    json t = json::array(), used = json::array(), ours = json::array(), others = json::array();
    double used_max = NAN, ours_max = NAN, others_max = NAN;
    auto keep_max = [](double& m, double v) {
      if (!std::isnan(v)) m = std::isnan(m) ? v : std::max(m, v);
    };
    for (const GpuMemoryPoint& p : tl.points) {
      t.push_back(rounded(p.t0_s, 0.01));
      used.push_back(rounded(p.used_mib, 0.1));
      ours.push_back(rounded(p.ours_mib, 0.1));
      others.push_back(rounded(p.others_mib, 0.1));
      keep_max(used_max, p.used_mib);
      keep_max(ours_max, p.ours_mib);
      keep_max(others_max, p.others_mib);
    }
    json procs = json::array();
    for (const GpuMemoryProcess& o : tl.others)
      procs.push_back({{"pid", o.pid}, {"comm", o.comm}, {"max_mib", rounded(o.max_mib, 0.1)}});
    devices.push_back({{"device", tl.device},
                       {"samples", tl.samples},
                       {"points", tl.points.size()},
                       {"t_s", std::move(t)},
                       {"used_mib", std::move(used)},
                       {"ours_mib", std::move(ours)},
                       {"others_mib", std::move(others)},
                       {"used_max_mib", rounded(used_max, 0.1)},
                       {"ours_max_mib", rounded(ours_max, 0.1)},
                       {"others_max_mib", rounded(others_max, 0.1)},
                       {"others", std::move(procs)}});
  }
  return {{"arena_bytes", optional_bytes(plan.arena_bytes)},
          {"weights_bytes", optional_bytes(plan.weights_bytes)},
          {"workspace_bytes", optional_bytes(plan.workspace_bytes)},
          {"devices", std::move(devices)}};
}

}  // namespace ys
