#include "analysis/advisor_spikes.h"

#include <cstdio>

namespace ys {
namespace {

std::string fmt(double v, int digits = 1) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string who(const Blame& b) {
  return b.pid > 0 ? (b.comm.empty() ? "pid " + std::to_string(b.pid)
                                     : "`" + b.comm + "` (pid " + std::to_string(b.pid) + ")")
                   : "";
}

}  // namespace

std::string spike_fix(const Blame& c, const SpikeReport& r) {
  const std::string every = r.wall.periodic ? "every " + fmt(r.wall.period) + " s" : "at times";
  if (c.kind == "host_other_process")
    return "another process, " + who(c) + ", takes the cores " + every +
           ": move it to other cores or lower its priority (taskset, a cpuset cgroup, nice), or "
           "pin inference to cores it does not use (taskset -c)";
  if (c.kind == "device_other_process" || c.kind == "device_pcie")
    return "another process" + (c.pid > 0 ? ", " + who(c) + "," : std::string()) +
           " uses the GPU or its PCIe link " + every +
           ", during which our inference waits: move that work (a metrics pull, a copy) off the "
           "inference GPU or make it asynchronous (pinned memory, its own stream)";
  if (c.kind == "own_gpu")
    return "our own process copies or synchronises " + every +
           " beyond what a normal frame does: find that periodic synchronous copy (a debug "
           "dump, a metrics pull in-process) and make it asynchronous or move it off the frame "
           "path";
  if (c.kind == "device_clocks")
    return "the GPU's clocks drop " + every +
           ": check its power and thermal limits (nvidia-smi -q -d PERFORMANCE) and cooling";
  if (c.kind == "host_memory")
    return "our memory is read back from disk " + every +
           ": free memory on the host, or keep the model resident (fewer other processes, mlock)";
  if (c.kind == "host_io")
    return "the host waits on I/O " + every +
           ": move logging, log rotation or other disk work off this machine's inference path";
  if (c.kind == "own_stage")
    return "our own stage grows " + every + " with nothing outside to blame: " + c.evidence +
           "; look at that stage's inputs in the spike frames (the flight records)";
  return "the evidence is unclear (" + c.evidence +
         "): profile again with fewer other processes, or on a GPU with profile_detail=long on a "
         "quieter device, and compare the flight records";
}

std::vector<Finding> spike_findings(const SpikeReport& r) {
  if (r.count == 0) return {};
  const bool clear = r.culprit.kind != "unclear";
  if (!r.wall.periodic && !clear) return {};
  Finding f;
  f.id = r.wall.periodic ? "spikes.periodic" : "spikes.culprit";
  f.severity = Severity::kWarning;
  // A named culprit is a cause; spikes with none are what a cause looks like from outside.
  f.role = clear ? Role::kCause : Role::kSymptom;
  std::string culprit_text =
      clear ? r.culprit.kind + (r.culprit.pid > 0 ? " " + who(r.culprit) : std::string())
            : "unclear";
  f.finding = r.wall.periodic
                  ? "Latency spikes " + r.text + "; culprit: " + culprit_text + "."
                  : std::to_string(r.count) + " latency spikes, not periodic, each about " +
                        fmt(r.duration_ms, 0) + " ms; culprit: " + culprit_text + ".";
  f.evidence = {{"spike occurrences", static_cast<double>(r.count), ""},
                {"typical stall", r.duration_ms, "ms"},
                {"baseline latency", r.baseline_ms, "ms"}};
  if (r.wall.periodic) {
    f.evidence.push_back({"period", r.wall.period, "s"});
    f.evidence.push_back({"period error (95%)", r.wall.period_err, "s"});
    f.evidence.push_back({"occurrences in the period", static_cast<double>(r.wall.matched), ""});
    f.evidence.push_back({"expected occurrences", static_cast<double>(r.wall.expected), ""});
    f.evidence.push_back({"confidence", r.wall.confidence, ""});
  }
  if (clear)
    f.evidence.push_back({"share of occurrences with this culprit", 100 * r.culprit.score, "%"});
  for (const OccurrenceResult& o : r.occurrences) {
    if (f.frames.size() < 20 && (o.in_period || !r.wall.periodic)) f.frames.push_back(o.frame);
  }
  f.fix = spike_fix(r.culprit, r);
  double stall_ms = 0;
  for (const OccurrenceResult& o : r.occurrences) stall_ms += o.duration_ms;
  f.expected_gain_pct = r.run_s > 0 ? 100 * stall_ms / (r.run_s * 1e3) : 0;
  f.gain_how = "throughput: the spikes' time above the baseline, as a share of the run";
  return {f};
}

}  // namespace ys
