// summary.json's `long` and `spikes` sections and the console's spike lines for a long run
// (profile_detail=long). Pure writers from the recorder's snapshot and the spike analysis; the
// field list is in docs/PROFILE_SCHEMA.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/profile_analysis.h"
#include "analysis/spike_analysis.h"

namespace ys {

struct LongRunFacts {
  double checkpoint_period_s = 30;
  bool final = false;      // the run is over: the last write
  int host_period_ms = 0;  // 0: no /proc sampling
  double host_cost_pct = 0;
  int nvml_period_ms = 0;   // 0: no NVML sampling (a CPU run)
  std::string nvml_why;     // why NVML is unavailable, when it is
  size_t memory_bytes = 0;  // the recorder's
  double warmup_s = 0;
};

// `layers`: the model's layers with their execution steps (group_layers).
nlohmann::json long_json(const LongSnapshot& s, const std::vector<LayerResult>& layers,
                         const LongRunFacts& facts);
nlohmann::json spikes_json(const SpikeReport& r);
// "  Spikes: ... every 60.0 s ...\n  Culprit: ...\n"
std::string spikes_console(const SpikeReport& r);

}  // namespace ys
