#include "analysis/device_profile.h"

#include <algorithm>

#include "analysis/trace_lanes.h"
#include "core/rounding.h"

namespace ys {
namespace {

constexpr auto kFirstDeviceStage = static_cast<size_t>(PipelineStage::kPreprocess);
constexpr auto kLastDeviceStage = static_cast<size_t>(PipelineStage::kNms);

// The batch's span on its device: the first of preprocess..NMS to begin to the last to end.
std::pair<int64_t, int64_t> device_span(const DeviceBatch& b) {
  int64_t first = 0, last = 0;
  for (size_t s = kFirstDeviceStage; s <= kLastDeviceStage; ++s) {
    if (b.begin_ns[s] == 0 || b.end_ns[s] < b.begin_ns[s]) continue;
    if (first == 0 || b.begin_ns[s] < first) first = b.begin_ns[s];
    last = std::max(last, b.end_ns[s]);
  }
  return {first, last};
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

// NVML's readings of one GPU over the run: utilisation and power as means, memory as the peak,
// clocks as medians (a throttled device runs most of the time below the others, not at a peak).
void add_nvml(DeviceFigures& d, int index, const std::vector<NvmlSample>& nvml) {
  if (index < 0) return;
  std::vector<double> util, sm, mem_clock, power, temp;
  int64_t mem_max = -1;
  for (const NvmlSample& s : nvml) {
    if (s.device != index) continue;
    ++d.nvml_samples;
    if (s.gpu_util_pct) util.push_back(*s.gpu_util_pct);
    if (s.sm_clock_mhz) sm.push_back(*s.sm_clock_mhz);
    if (s.mem_clock_mhz) mem_clock.push_back(*s.mem_clock_mhz);
    if (s.power_w) power.push_back(*s.power_w);
    if (s.temperature_c) temp.push_back(*s.temperature_c);
    if (s.mem_used_bytes) mem_max = std::max(mem_max, *s.mem_used_bytes);
  }
  if (!util.empty()) d.facts.util_pct = mean_of(util);
  if (!sm.empty()) d.facts.sm_clock_mhz = compute_stats(sm).median;
  if (mem_max >= 0) d.facts.memory_used_bytes = mem_max;
  if (!mem_clock.empty()) d.mem_clock_mhz = compute_stats(mem_clock).median;
  if (!power.empty()) d.power_w = mean_of(power);
  if (!temp.empty()) d.temperature_c = *std::max_element(temp.begin(), temp.end());
}

}  // namespace

DeviceProfile analyze_devices(const std::vector<DeviceTotals>& totals,
                              const std::vector<DeviceBatch>& batches,
                              const std::vector<NvmlSample>& nvml, double wall_ms) {
  DeviceProfile p;
  p.wall_ms = wall_ms;
  int64_t all_frames = 0;
  double read_ms = 0;
  for (const DeviceTotals& t : totals) {
    all_frames += t.frames;
    read_ms += t.read_ms;
  }
  std::vector<std::vector<double>> batch_ms(totals.size()), frame_ms(totals.size());
  for (const DeviceBatch& b : batches) {
    const auto [first, last] = device_span(b);
    if (b.device >= totals.size() || first == 0 || b.frames <= 0) continue;
    const double ms = static_cast<double>(last - first) / 1e6;
    batch_ms[b.device].push_back(ms);
    frame_ms[b.device].push_back(ms / static_cast<double>(b.frames));
  }
  for (size_t k = 0; k < totals.size(); ++k) {
    const DeviceTotals& t = totals[k];
    DeviceFigures d;
    d.facts.device = t.device;
    d.facts.frames = t.frames;
    d.facts.busy_ms = t.busy_ms;
    d.batches = t.batches;
    d.busy_pct = device_busy_pct(d.facts, wall_ms);
    d.frame_share_pct =
        all_frames > 0 ? 100.0 * static_cast<double>(t.frames) / static_cast<double>(all_frames)
                       : 0;
    d.measured_batches = static_cast<int64_t>(batch_ms[k].size());
    d.batch_ms = compute_stats(batch_ms[k]);
    d.frame_ms = compute_stats(frame_ms[k]);
    add_nvml(d, t.nvml_index, nvml);
    d.failed = t.failed;
    d.error = t.error;
    d.lost_frames = t.lost_frames;
    d.nvml_index = t.nvml_index;
    p.devices.push_back(std::move(d));
  }
  std::vector<DeviceFacts> facts;
  for (const DeviceFigures& d : p.devices) facts.push_back(d.facts);
  p.frame_imbalance = device_imbalance(facts);
  if (facts.size() >= 2) {
    auto [lo, hi] = std::minmax_element(
        facts.begin(), facts.end(),
        [](const DeviceFacts& x, const DeviceFacts& y) { return x.busy_ms < y.busy_ms; });
    p.busy_imbalance = hi->busy_ms > 0 ? 1.0 - lo->busy_ms / hi->busy_ms : 0;
  }
  if (wall_ms > 0) p.feeder_busy_pct = 100.0 * read_ms / wall_ms;
  return p;
}

DeviceBalance device_balance(const DeviceProfile& p) {
  DeviceBalance b;
  b.wall_ms = p.wall_ms;
  b.feeder_busy_pct = p.feeder_busy_pct;
  for (const DeviceFigures& d : p.devices) b.devices.push_back(d.facts);
  return b;
}

nlohmann::json device_trace_events(const DeviceProfile& p, const std::vector<DeviceBatch>& batches,
                                   const std::vector<NvmlSample>& nvml, int64_t start_ns) {
  using namespace trace_lanes;
  auto us = [&](int64_t ns) { return round_to(static_cast<double>(ns - start_ns) / 1e3, 3); };
  nlohmann::json ev = nlohmann::json::array();
  for (size_t k = 0; k < p.devices.size(); ++k) {
    const int pid = kDevicePidBase + static_cast<int>(k);
    ev.push_back(name_event("process_name", pid, "Device " + p.devices[k].facts.device));
    thread_events(pid, kStageTid, "stages", ev);
  }
  for (const DeviceBatch& b : batches) {
    if (b.device >= p.devices.size()) continue;
    const int pid = kDevicePidBase + static_cast<int>(b.device);
    for (size_t s = kFirstDeviceStage; s <= kLastDeviceStage; ++s) {
      if (b.begin_ns[s] == 0 || b.end_ns[s] < b.begin_ns[s]) continue;
      ev.push_back({{"name", pipeline_stage_name(static_cast<PipelineStage>(s))},
                    {"cat", "stage"},
                    {"ph", "X"},
                    {"pid", pid},
                    {"tid", kStageTid},
                    {"ts", us(b.begin_ns[s])},
                    {"dur", round_to(static_cast<double>(b.end_ns[s] - b.begin_ns[s]) / 1e3, 3)},
                    {"args",
                     {{"frame", b.first_frame},
                      {"frames", b.frames},
                      {"device", p.devices[b.device].facts.device}}}});
    }
  }
  for (size_t k = 0; k < p.devices.size(); ++k) {
    const DeviceFigures& d = p.devices[k];
    if (d.nvml_index < 0) continue;
    const int pid = kDevicePidBase + static_cast<int>(k);
    // Named with the device: the timeline lists counters by name, not by process.
    const std::string device = "Device " + d.facts.device + " ";
    auto counter = [&](const NvmlSample& n, const char* name, const char* unit, double v,
                       int digits) {
      ev.push_back({{"name", device + name},
                    {"ph", "C"},
                    {"pid", pid},
                    {"ts", us(n.t_ns)},
                    {"args", {{unit, round_to(v, digits)}}}});
    };
    for (const NvmlSample& n : nvml) {
      if (n.device != d.nvml_index) continue;
      if (n.gpu_util_pct) counter(n, "GPU utilization", "percent", *n.gpu_util_pct, 1);
      if (n.mem_used_bytes)
        counter(n, "memory used", "MiB", static_cast<double>(*n.mem_used_bytes) / 1048576.0, 1);
      if (n.sm_clock_mhz) counter(n, "SM clock", "MHz", *n.sm_clock_mhz, 0);
    }
  }
  return ev;
}

}  // namespace ys
