// Who took the time of a latency spike. Pure functions over sampled numbers: the figures of the
// spike's window (host /proc samples, NVML samples, our own stage, layer and GPU activity)
// against the same figures in the run's usual seconds. Each kind of evidence gives a blame with
// a score in 0..1 and a sentence; the culprit is the top blame when it is clear (a score of at
// least kClearBlame, and ahead of the next by kBlameMargin), otherwise the blame is "unclear".
// Thresholds and wording are in docs/ADVISOR.md.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "profiler/gpu_trace.h"
#include "profiler/host_sampler.h"

namespace ys {

struct Blame {
  // own_stage, own_gpu, device_other_process, device_pcie, device_clocks, host_other_process,
  // host_memory, host_io, unclear
  std::string kind;
  int pid = 0;  // 0: no process is known
  std::string comm;
  double score = 0;
  std::string evidence;
};

// A process's CPU over a window: percent of one core, the window's mean (0 in the readings where
// it was not among the top processes).
struct ProcessCpu {
  int pid = 0;
  std::string comm;
  double cpu_pct = 0;
  double usual_pct = 0;  // the same process in the usual samples (0 when never in the top)
};

// The host during a spike against its usual state (medians of the samples outside spikes).
struct HostWindow {
  int samples = 0, usual_samples = 0;
  double others_cpu_pct = 0, others_cpu_usual = 0;
  double procs_running = 0, procs_running_usual = 0;
  // Our threads' time runnable but not running, summed over threads, in % of the time (above
  // 100 when several wait at once).
  double self_wait_pct = 0, self_wait_usual = 0;
  double involuntary_per_s = 0, involuntary_usual = 0;
  double major_faults = 0, major_faults_usual = 0;  // in the window; usual: per sample
  double iowait_pct = 0, iowait_usual = 0;
  std::vector<ProcessCpu> top;  // during, largest first
};

// The samples whose interval (a reading covers the period before it) overlaps [begin_ns, end_ns
// + 100 ms] against those overlapping none of `busy` (the windows of every spike so far).
HostWindow host_window(const std::vector<HostSample>& samples, int64_t begin_ns, int64_t end_ns,
                       const std::vector<std::pair<int64_t, int64_t>>& busy);

// The GPU during a spike against its usual state, from NVML.
struct DeviceWindow {
  int samples = 0, usual_samples = 0;
  double pcie_mbs = 0, pcie_usual_mbs = 0;  // tx + rx, MB/s
  double sm_clock_mhz = 0, sm_clock_usual_mhz = 0;
  uint64_t throttle_reasons = 0;  // OR of the window's samples
  double power_w = 0;
  struct Process {
    int pid = 0;
    std::string comm;
    double sm_util_pct = 0;
    int64_t memory_bytes = 0;
  };
  std::vector<Process> others;  // other processes on the device during the window
};
DeviceWindow device_window(const std::vector<NvmlSample>& samples, int64_t begin_ns, int64_t end_ns,
                           const std::vector<std::pair<int64_t, int64_t>>& busy, int self_pid);

// Our own side of a spike: the stage (and layer) that grew, and our GPU activity (CUPTI) in the
// spike's frames against normal frames of its flight record.
struct OwnWindow {
  std::string stage;  // the stage with most of the excess ("" when unknown)
  double stage_excess_ms = 0, total_excess_ms = 0;
  std::string layer;  // the layer that grew most (id), "" when no detail was kept
  std::string layer_label;
  double layer_growth_ms = 0;
  // CUPTI, per spike frame against a normal frame; unset without detail.
  std::optional<double> copy_bytes, copy_bytes_usual, copy_ms, wait_ms, wait_ms_usual;
};

std::vector<Blame> blame_spike(const OwnWindow& own, const HostWindow* host,
                               const DeviceWindow* device, int cores);

// The culprit of one spike, or of a family: the top blame when clear, else kind "unclear".
Blame culprit(const std::vector<Blame>& blames);
// A family's culprit: the suspect (kind and command, score >= 0.4) present in most members,
// scored by the share of members it is in; "unclear" below half.
Blame family_culprit(const std::vector<std::vector<Blame>>& members);

constexpr double kClearBlame = 0.5;
// A blame is a suspect for the family's culprit from this score on.
constexpr double kSuspectBlame = 0.4;
// Other processes named per spike, at most.
constexpr int kMaxSuspects = 3;
constexpr double kBlameMargin = 0.15;
// Another process is a suspect above this much CPU (percent of one core) beyond its usual.
constexpr double kOtherProcessMinPct = 30;

}  // namespace ys
