#include "report/device_profile_json.h"

#include <cstdio>

#include "core/rounding.h"
#include "report/json_figures.h"

namespace ys {
namespace {

using nlohmann::json;

json optional_json(const std::optional<double>& v, int digits) {
  return v ? json(round_to(*v, digits)) : json(nullptr);
}

std::string fmt(const char* format, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

json devices_json(const DeviceProfile& p) {
  json devices = json::array();
  for (const DeviceFigures& d : p.devices) {
    const DeviceFacts& f = d.facts;
    devices.push_back({{"device", f.device},
                       {"frames", f.frames},
                       {"frame_share_pct", round_to(d.frame_share_pct, 2)},
                       {"batches", d.batches},
                       {"busy_ms", round_to(f.busy_ms, 3)},
                       {"busy_pct", round_to(d.busy_pct, 2)},
                       {"measured_batches", d.measured_batches},
                       {"batch_latency_ms", stats_or_null(d.batch_ms)},
                       {"frame_latency_ms", stats_or_null(d.frame_ms)},
                       {"nvml_samples", d.nvml_samples},
                       {"utilization_pct", optional_json(f.util_pct, 1)},
                       {"memory_used_max_bytes",
                        f.memory_used_bytes ? json(*f.memory_used_bytes) : json(nullptr)},
                       {"sm_clock_mhz", optional_json(f.sm_clock_mhz, 0)},
                       {"mem_clock_mhz", optional_json(d.mem_clock_mhz, 0)},
                       {"power_w", optional_json(d.power_w, 1)},
                       {"temperature_max_c", optional_json(d.temperature_c, 0)},
                       {"failed", d.failed},
                       {"error", d.failed ? json(d.error) : json(nullptr)},
                       {"lost_frames", d.lost_frames},
                       {"numa_node", d.numa_node ? json(*d.numa_node) : json(nullptr)}});
  }
  return devices;
}

json device_balance_json(const DeviceProfile& p) {
  json links = p.links.empty() ? json(nullptr) : json::array();
  for (const DeviceLink& l : p.links) links.push_back({{"devices", {l.a, l.b}}, {"path", l.path}});
  return {{"devices", p.devices.size()},
          {"wall_ms", round_to(p.wall_ms, 3)},
          {"frame_imbalance_pct", round_to(100 * p.frame_imbalance, 2)},
          {"busy_imbalance_pct", round_to(100 * p.busy_imbalance, 2)},
          {"feeder_busy_pct", optional_json(p.feeder_busy_pct, 2)},
          {"links", links},
          {"numa_nodes", p.numa_nodes}};
}

std::string devices_console(const DeviceProfile& p) {
  std::string s;
  for (const DeviceFigures& d : p.devices) {
    const DeviceFacts& f = d.facts;
    s += "  Device " + f.device + ": " + std::to_string(f.frames) + " frames (" +
         fmt("%.0f", d.frame_share_pct) + "%) in " + std::to_string(d.batches) + " batches, busy " +
         fmt("%.2f", f.busy_ms / 1e3) + " s (" + fmt("%.0f", d.busy_pct) + "% of the run)";
    if (d.measured_batches > 0)
      s += ", batch p50 " + fmt("%.2f", d.batch_ms.median) + " ms, p99 " +
           fmt("%.2f", d.batch_ms.p99) + " ms";
    if (f.util_pct) s += ", GPU " + fmt("%.0f", *f.util_pct) + "%";
    if (f.memory_used_bytes)
      s += ", memory " + fmt("%.0f", static_cast<double>(*f.memory_used_bytes) / 1048576.0) +
           " MiB max";
    if (f.sm_clock_mhz) s += ", SM " + fmt("%.0f", *f.sm_clock_mhz) + " MHz";
    if (d.failed)
      s += "; FAILED (" + std::to_string(d.lost_frames.size()) + " frames lost): " + d.error;
    s += "\n";
  }
  s += "  Devices: imbalance " + fmt("%.0f", 100 * p.frame_imbalance) + "% in frames, " +
       fmt("%.0f", 100 * p.busy_imbalance) + "% in busy time";
  if (p.feeder_busy_pct)
    s += "; the feeder (one thread reading the source for every device) busy " +
         fmt("%.0f", *p.feeder_busy_pct) + "% of the run";
  for (const DeviceLink& l : p.links) s += "; devices " + l.a + " and " + l.b + ": " + l.path;
  return s + "\n";
}

}  // namespace ys
