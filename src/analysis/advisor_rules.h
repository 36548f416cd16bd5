// The advisor's rule groups and what they share. advise() (analysis/advisor.cpp) calls the
// groups in a fixed order; each reads the analysed profile, the input figures and the run's facts
// through a Context and appends its findings. Internal to analysis/: a new rule goes into the
// file of its group, its threshold beside it with its reason in docs/ADVISOR.md.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "analysis/advisor.h"
#include "analysis/spike_period.h"

namespace ys::advisor_rules {

// Shared by the spike rule and startup_transient_frames (docs/ADVISOR.md).
constexpr double kSpikeFrameRatio = 1.5;  // a frame above 1.5x the median is a spike
constexpr size_t kListedFrames = 20;
constexpr const char* kNoSpeedGain = "no speed gain: it makes the profiled window representative";

inline std::string fmt(double v, int digits = 1) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

inline std::string mib(double bytes) {
  return fmt(bytes / 1048576.0, 1) + " MiB";
}

struct Context {
  const ProfileAnalysis& a;
  const InputStats& in;
  const RunFacts& run;
  double latency = 0;

  double stage(const char* name) const {
    for (const auto& s : a.stages) {
      if (s.name == name) return s.ms.median;
    }
    return 0;
  }
  double share(double ms) const { return latency > 0 ? 100.0 * ms / latency : 0; }
};

inline Finding make(const char* id, Severity sev, std::string finding) {
  Finding f;
  f.id = id;
  f.severity = sev;
  f.role = std::string(id).rfind("input.", 0) == 0 ? Role::kInput : Role::kCause;
  f.finding = std::move(finding);
  return f;
}

// (a) input representativeness: blank, static or noise input, synthetic weights, no
// detections, a flooded NMS.
void input_rules(const Context& c, std::vector<Finding>& out);
// (b) memory: one layer's activations dominating the arena.
void memory_rules(const Context& c, std::vector<Finding>& out);
// (c) the input and output pipeline around inference.
void pipeline_rules(const Context& c, std::vector<Finding>& out);
// (d) CPU threads against the cores other processes leave free.
void thread_rules(const Context& c, std::vector<Finding>& out);
// (e) latency spikes: periodic, a slow phase, or scattered.
void jitter_rules(const Context& c, std::vector<Finding>& out);

// The period of the window's spikes (advisor_rules_period.cpp): `idx` are spike positions in
// a.latency_ms after `skip` start-up frames. A run of spike frames (up to two steady frames
// between) is one occurrence. In wall time from the frames' start times (a.frame_t_ms) when the
// analysis has them, and in frames (keyframes); a frame count alone says little when frame
// times vary.
struct WindowPeriod {
  PeriodEstimate wall, frames;
};
WindowPeriod window_spike_period(const ProfileAnalysis& a, size_t skip,
                                 const std::vector<size_t>& idx);
// A spike finding whose cause is among the findings points at the cause's fix.
void link_symptoms(std::vector<Finding>& out);
// (f) GPU: precision, launches, copies, utilisation, throttling.
void gpu_rules(const Context& c, std::vector<Finding>& out);
// (g) several devices: idle, imbalance, feeder bound, throttled (advisor_rules_devices.cpp).
void device_rules(const Context& c, std::vector<Finding>& out);
// (h) decoding: CPU decoding bounding a GPU run (advisor_rules_decode.cpp).
void decode_rules(const Context& c, std::vector<Finding>& out);

}  // namespace ys::advisor_rules
