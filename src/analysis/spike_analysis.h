// The spikes of a long run, analysed: their period in wall time and in frames, each occurrence's
// stage, layer and blame, and the family's culprit. Built from the long recorder's snapshot and
// the evidence the session captured for each occurrence while the samplers still held its window.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/profile_analysis.h"
#include "analysis/spike_blame.h"
#include "analysis/spike_period.h"
#include "profiler/long_recorder.h"

namespace ys {

struct SpikeEvidence {
  std::optional<HostWindow> host;
  std::optional<DeviceWindow> device;
};

struct OccurrenceResult {
  double t_s = 0;  // since the run began
  int64_t frame = 0;
  int frames = 0;
  double duration_ms = 0;  // the stall: latency above the baseline, summed over its frames
  double peak_ms = 0;
  std::string stage, layer, layer_label;
  bool in_period = false;
  int flight = -1;
  std::vector<Blame> blame;  // best first
  Blame culprit;
};

struct SpikeReport {
  int64_t count = 0, dropped = 0;
  double run_s = 0, baseline_ms = 0;
  PeriodEstimate wall, frames;
  double duration_ms = 0;  // typical occurrence (median of the periodic ones, else of all)
  Blame culprit;           // of the periodic family, else of all occurrences
  std::string text;        // "every 60.0 s (...)", or "not periodic (...)"
  std::vector<OccurrenceResult> occurrences;
};

// `layers`: the model's layers with their execution steps (group_layers), to name the layer of
// a flight record's ops; `cores`: the machine's.
SpikeReport analyze_spikes(const LongSnapshot& s, const std::map<size_t, SpikeEvidence>& evidence,
                           const std::vector<LayerResult>& layers, int cores,
                           double warmup_seconds);

// Our own side of one occurrence, from its figures and its flight record (may be null).
OwnWindow own_window(const SpikeOccurrence& o, const FlightRecord* record,
                     const std::vector<LayerResult>& layers);

}  // namespace ys
