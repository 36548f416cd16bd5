#include "report/startup_json.h"

#include "core/rounding.h"

namespace ys {
namespace {

using nlohmann::json;

json phase_json(const StartupBreakdown& b, size_t i) {
  const StartupPhase& p = b.phases[i];
  json children = json::array();
  for (size_t k = i + 1; k < b.phases.size(); ++k)
    if (b.phases[k].parent == static_cast<int>(i)) children.push_back(phase_json(b, k));
  return {{"name", p.name},
          {"start_ms", round_to(static_cast<double>(p.begin_ns - b.origin_ns) / 1e6, 3)},
          {"ms", round_to(p.ms, 3)},
          {"count", p.count},
          {"children", children}};
}

}  // namespace

json startup_json(const StartupBreakdown& b) {
  if (!b.complete()) return nullptr;
  json phases = json::array(), background = json::array();
  for (size_t i = 0; i < b.phases.size(); ++i) {
    if (b.phases[i].parent >= 0) continue;
    (b.phases[i].background ? background : phases).push_back(phase_json(b, i));
  }
  return {{"origin", b.process_start_known ? "process_start" : "main"},
          {"wall_ms", round_to(b.wall_ms(), 3)},
          {"phases_ms", round_to(b.top_level_ms(), 3)},
          {"unattributed_ms", round_to(b.unattributed_ms(), 3)},
          {"phases", phases},
          {"background", background}};
}

}  // namespace ys
