// The advisor: rules over an analysed profile, the input figures and the facts of the run
// (device, precision, CUDA Graph, batch, threads, cores, other load) that turn numbers into
// findings. Each finding names the figures that triggered it, the exact argument or code change
// that fixes it and the gain that change should bring, as a share of the median frame latency
// with the way it was estimated. Findings a setting can fix carry that setting, so the what-if
// runner (session/whatif.h) can repeat recorded frames with it and put a measured gain beside
// the estimate. The rules are pure functions of their figures: nothing here runs a model.
// GPU rules read GpuFacts, which the GPU profiler fills; without them they stay silent.
// Thresholds and their reasons are listed in docs/ADVISOR.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/device_balance.h"
#include "analysis/gpu_analysis.h"
#include "analysis/input_stats.h"
#include "analysis/profile_analysis.h"

namespace ys {

enum class Severity { kInfo, kWarning, kCritical };
const char* severity_name(Severity s);

// What the GPU profiler (CUDA events, CUPTI, NVML) measured over the window; every field is
// optional so a collector fills what it has and rules needing a missing figure stay silent.
struct GpuFacts {
  std::optional<std::string> name;
  std::optional<bool> tensor_cores;
  std::optional<double> kernels_per_frame;
  std::optional<double> median_kernel_us;
  std::optional<double> launch_gap_pct;  // share of inference with the GPU idle between kernels
  // Host time spent enqueueing the forward's ops, as a share of the inference stage: near 100%
  // the GPU can only be as fast as the host launches (eager runs; a graph launch is one call).
  std::optional<double> host_launch_pct;
  std::optional<double> busy_pct;  // share of the inference stage with a kernel running
  // The forward's achieved compute as a share of the device's peak for its precision (layers'
  // shares weighted by their time): a batch of one leaves most of a large GPU's SMs idle.
  std::optional<double> compute_pct;
  std::optional<double> pageable_copy_bytes_per_frame;
  std::optional<double> copy_ms_per_frame;          // host<->device copies
  std::optional<double> host_blocked_ms_per_frame;  // host waiting in a device synchronisation
  std::optional<int64_t> memory_total_bytes, memory_used_bytes;
  std::optional<double> throttled_pct;  // share of NVML samples with a thermal or power limit
  std::optional<std::string> throttle_reason;
  std::optional<double> sm_clock_min_mhz, sm_clock_max_mhz;
};

struct RunFacts {
  std::string device = "cpu";
  bool half = false, cuda_graph = false;
  bool gpu_pipeline = true;  // letterbox, decoding and NMS on the GPU (the CLI's default)
  int batch = 1;
  int threads = 0;  // as asked; 0: all cores
  int cores = 0;
  // Busy CPU of all processes over the window in percent of one core (from /proc/stat); below
  // zero when unknown. With the profile's own process figure it gives the load from elsewhere.
  double system_cpu_pct = -1;
  bool synthetic_weights = false;
  double conf = 0.25;
  int64_t input_bytes = 0;  // the model's float32 input tensor
  std::optional<GpuFacts> gpu;
  std::optional<DeviceBalance> devices;  // several devices (device=0,1); none: one device
  // How frames were decoded (issue 20): cpu, nvdec or nvjpeg; whether the source is a video or
  // stream and its codec has a GPU decoder; whether a reader thread decoded ahead of the
  // detector (the CLI's prefetch), so that the read stage is the wait for it.
  std::string decoder = "cpu";
  bool video_source = false;
  bool gpu_codec = false;
  bool read_ahead = false;
  bool on_gpu() const;
};

struct Figure {
  std::string name;
  double value = 0;
  std::string unit;
};

// One change to a run, as the command line spells it ("threads", "2").
using Setting = std::pair<std::string, std::string>;

// What a finding is to the others: input findings qualify every figure of the window, a cause is
// something to change, a symptom (latency spikes) is what a cause looks like from outside.
enum class Role { kInput, kCause, kSymptom };

struct Finding {
  std::string id;  // "input.blank", "threads.underused", ...
  Severity severity = Severity::kInfo;
  Role role = Role::kCause;
  std::string finding;            // one line
  std::vector<Figure> evidence;   // the figures that triggered it
  std::vector<int64_t> frames;    // frame indices it is about (spikes, blank frames)
  std::string fix;                // the exact argument or code change
  std::vector<Setting> settings;  // what the what-if runner may try; empty if none
  // Settings both sides of the what-if run with, where the finding's gain only shows once
  // another finding's fix is in (FP16 behind a launch bound); empty: the run as profiled.
  std::vector<Setting> baseline_settings;
  // Gains are the share of the median frame latency a change saves: +20 is 20% faster, a
  // negative measured gain is slower. The same sign everywhere (console, summary.json, HTML).
  double expected_gain_pct = 0;
  std::string gain_how;
  std::optional<double> measured_gain_pct;
  std::string measured_how;  // how it was measured, or why it was not
  // The what-if measured no gain (below kRefutedBelowPct): the finding stays, marked, ranked
  // last, and its fix is withdrawn (settings keep what was tried).
  bool refuted = false;
  // The cause a symptom is likely from (its fix points there); empty when none is known.
  std::string symptom_of;
};

// A measured gain below this (percent of frame latency) refutes a finding: the what-if's two
// alternating rounds cannot tell a smaller gain from noise.
constexpr double kRefutedBelowPct = 1.0;

// The advisor's view of a GPU analysis; `a` supplies the host-side op times (eager launches).
GpuFacts gpu_facts(const GpuAnalysis& gpu, const ProfileAnalysis& a);

// Evaluates every rule. Findings come back in the advisor's order (see order_findings).
std::vector<Finding> advise(const ProfileAnalysis& a, const InputStats& input, const RunFacts& run);

// Marks findings whose measured gain refutes them (refuted, fix withdrawn), then orders: input
// findings first, as they qualify every other figure; then causes, then symptoms; refuted ones
// last; within each, by measured gain, else expected gain; then by severity.
void order_findings(std::vector<Finding>& findings);

// The leading measured frames that are the profiler's own start-up (CUPTI's first activity
// buffers, the samplers' first reads, first touches of the trace buffers): a run of frames at the
// window's start, each above 1.5x the median of the rest, at most 3 frames and a tenth of the
// window. They never become latency spikes.
size_t startup_transient_frames(const std::vector<double>& latency_ms);

// The sentence that leads the verdict: the top finding that is not refuted ("Top cause:
// threads.contended: ..."), or "" when there is none.
std::string verdict_text(const std::vector<Finding>& findings);

// "expected gain 19.1%; measured -67.4%: refuted" for one-line listings (the console).
std::string gain_summary(const Finding& f);

// "contrast median 0.0 gray levels; ..." for reports that show evidence as one line.
std::string evidence_text(const Finding& f);
// "31% of frame latency (estimate: ...)"; with the what-if result when there is one.
std::string gain_text(const Finding& f);

}  // namespace ys
