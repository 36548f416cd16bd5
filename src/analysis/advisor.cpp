#include "analysis/advisor.h"

#include <algorithm>
#include <cmath>

#include "analysis/advisor_rules.h"

namespace ys {
namespace {

using advisor_rules::fmt;
using advisor_rules::mib;

int severity_rank(Severity s) {
  return static_cast<int>(s);
}

}  // namespace

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

GpuFacts gpu_facts(const GpuAnalysis& gpu, const ProfileAnalysis& a) {
  GpuFacts g;
  if (!gpu.device.name.empty()) g.name = gpu.device.name;
  if (gpu.device.sm_count > 0) g.tensor_cores = gpu.device.tensor_cores;
  if (gpu.kernels > 0) {
    g.kernels_per_frame = gpu.kernels_per_frame.median;
    g.median_kernel_us = gpu.kernel_us.median;
    g.launch_gap_pct = gpu.launch_bound_pct;
    g.busy_pct = gpu.busy_pct;
    g.copy_ms_per_frame = gpu.copy_ms_per_frame;
    g.pageable_copy_bytes_per_frame = gpu.pageable_bytes_per_frame;
    g.host_blocked_ms_per_frame = gpu.host_wait_outside_inference_ms_per_frame;
  }
  double weighted = 0, layer_ms = 0;
  for (const GpuLayerStat& l : gpu.layers) {
    weighted += l.pct_peak_compute * l.ms.median;
    layer_ms += l.ms.median;
  }
  if (layer_ms > 0 && weighted > 0) g.compute_pct = weighted / layer_ms;
  // Eager runs time each op's enqueue on the host; a graph run's first op launches everything,
  // so the sum says nothing there and the caller's cuda_graph fact keeps the rule silent.
  double enqueue_ms = 0, inference_ms = 0;
  for (const OpResult& op : a.ops) enqueue_ms += op.ms.median;
  for (const StageResult& s : a.stages)
    if (s.name == "inference") inference_ms = s.ms.median;
  if (enqueue_ms > 0 && inference_ms > 0) g.host_launch_pct = 100.0 * enqueue_ms / inference_ms;
  if (gpu.nvml) {
    g.throttled_pct = gpu.throttled_pct;
    if (!gpu.throttle_reasons.empty()) g.throttle_reason = gpu.throttle_reasons;
    if (gpu.sm_clock_max_mhz > 0) {
      g.sm_clock_min_mhz = gpu.sm_clock_min_mhz;
      g.sm_clock_max_mhz = gpu.sm_clock_max_mhz;
    }
    if (gpu.mem_used_max_mib > 0) g.memory_used_bytes = int64_t(gpu.mem_used_max_mib * 1048576.0);
  }
  if (gpu.device.memory_bytes > 0) g.memory_total_bytes = gpu.device.memory_bytes;
  return g;
}

bool RunFacts::on_gpu() const {
  return !device.empty() && device != "cpu";
}

std::vector<Finding> advise(const ProfileAnalysis& a, const InputStats& input,
                            const RunFacts& run) {
  using namespace advisor_rules;  // the rule groups, called in their order
  Context c{a, input, run};
  c.latency = a.latency.median;
  if (c.latency <= 0) {
    for (const auto& s : a.stages) c.latency += s.ms.median;
  }
  std::vector<Finding> out;
  input_rules(c, out);
  memory_rules(c, out);
  pipeline_rules(c, out);
  thread_rules(c, out);
  jitter_rules(c, out);
  gpu_rules(c, out);
  device_rules(c, out);
  decode_rules(c, out);
  link_symptoms(out);
  order_findings(out);
  return out;
}

void order_findings(std::vector<Finding>& findings) {
  for (Finding& f : findings) {
    if (f.refuted || !f.measured_gain_pct || *f.measured_gain_pct >= kRefutedBelowPct) continue;
    f.refuted = true;
    f.fix.clear();
  }
  // A symptom cannot point at a fix its what-if withdrew.
  for (Finding& f : findings) {
    if (f.symptom_of.empty()) continue;
    for (const Finding& cause : findings) {
      if (cause.id != f.symptom_of || !cause.refuted) continue;
      f.fix = "the what-if refuted " + cause.id +
              "'s fix: look for what else holds the inference cores (other processes, a "
              "periodic task) and pin inference away from it (taskset)";
      f.symptom_of.clear();
    }
  }
  auto rank = [](const Finding& f) {
    if (f.refuted) return 3;
    return f.role == Role::kInput ? 0 : f.role == Role::kCause ? 1 : 2;
  };
  auto gain = [](const Finding& f) { return f.measured_gain_pct.value_or(f.expected_gain_pct); };
  std::stable_sort(findings.begin(), findings.end(), [&](const Finding& x, const Finding& y) {
    if (rank(x) != rank(y)) return rank(x) < rank(y);
    if (gain(x) != gain(y)) return gain(x) > gain(y);
    return severity_rank(x.severity) > severity_rank(y.severity);
  });
}

size_t startup_transient_frames(const std::vector<double>& latency_ms) {
  const size_t n = latency_ms.size();
  const size_t most = std::min<size_t>(3, n / 10);
  if (most == 0) return 0;
  const double med =
      compute_stats(std::vector<double>(latency_ms.begin() + static_cast<std::ptrdiff_t>(most),
                                        latency_ms.end()))
          .median;
  size_t k = 0;
  while (k < most && latency_ms[k] > advisor_rules::kSpikeFrameRatio * med) ++k;
  return k;
}

std::string verdict_text(const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    if (f.refuted) continue;
    const char* lead = f.role == Role::kInput ? "First, the input: " : "Top cause: ";
    return lead + f.id + ": " + f.finding;
  }
  return {};
}

std::string gain_summary(const Finding& f) {
  std::string s;
  if (f.expected_gain_pct > 0) s = "expected gain " + fmt(f.expected_gain_pct) + "%";
  if (f.measured_gain_pct) {
    s += (s.empty() ? "" : ", ") + std::string("measured ") +
         (*f.measured_gain_pct >= 0 ? "+" : "") + fmt(*f.measured_gain_pct) + "%";
  }
  if (f.refuted) s += ": refuted, not advised";
  return s;
}

std::string evidence_text(const Finding& f) {
  std::string s;
  for (const auto& e : f.evidence) {
    if (!s.empty()) s += "; ";
    const bool whole = std::fabs(e.value - std::round(e.value)) < 1e-9 && std::fabs(e.value) >= 1;
    s += e.name + " " + (e.unit == "bytes" ? mib(e.value) : fmt(e.value, whole ? 0 : 2));
    if (!e.unit.empty() && e.unit != "bytes") s += (e.unit == "%" ? "" : " ") + e.unit;
  }
  if (!f.frames.empty()) {
    s += s.empty() ? "frames " : "; frames ";
    for (size_t i = 0; i < f.frames.size(); ++i) s += (i ? ", " : "") + std::to_string(f.frames[i]);
  }
  return s;
}

std::string gain_text(const Finding& f) {
  std::string s = f.expected_gain_pct > 0 ? fmt(f.expected_gain_pct) +
                                                "% of frame latency (estimate: " + f.gain_how + ")"
                                          : f.gain_how;
  if (f.measured_gain_pct) {
    s += std::string("; measured: ") + (*f.measured_gain_pct >= 0 ? "+" : "") +
         fmt(*f.measured_gain_pct) + "% (" + f.measured_how + ")";
    if (f.refuted)
      s += *f.measured_gain_pct < 0 ? "; refuted: the change made frames slower"
                                    : "; refuted: the change gained nothing measurable";
  } else if (!f.measured_how.empty()) {
    s += "; what-if: " + f.measured_how;
  }
  return s;
}
}  // namespace ys
