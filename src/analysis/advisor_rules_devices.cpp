#include <algorithm>

#include "analysis/advisor_rules.h"
#include "analysis/device_balance.h"

namespace ys {

using advisor_rules::fmt;
using advisor_rules::make;

double device_busy_pct(const DeviceFacts& d, double wall_ms) {
  return wall_ms > 0 ? 100.0 * d.busy_ms / wall_ms : 0;
}

double device_imbalance(const std::vector<DeviceFacts>& devices) {
  if (devices.size() < 2) return 0;
  int64_t lo = devices.front().frames, hi = lo;
  for (const DeviceFacts& d : devices) {
    lo = std::min(lo, d.frames);
    hi = std::max(hi, d.frames);
  }
  return hi > 0 ? 1.0 - static_cast<double>(lo) / static_cast<double>(hi) : 0.0;
}

namespace {

void idle_rule(const DeviceBalance& b, std::vector<Finding>& out) {
  for (const DeviceFacts& d : b.devices) {
    const double busy = device_busy_pct(d, b.wall_ms);
    if (busy >= kIdleDeviceBusyPct) continue;
    Finding f = make("devices.idle", Severity::kWarning,
                     "device " + d.device + " was busy " + fmt(busy) + "% of the run (" +
                         std::to_string(d.frames) + " frames): it adds nothing");
    f.evidence = {{"device " + d.device + " busy", busy, "%"},
                  {"device " + d.device + " frames", static_cast<double>(d.frames), "frames"}};
    f.fix = "leave device " + d.device +
            " out of device=, or find why it took no work (a "
            "failure above, or its first batch still compiling)";
    f.gain_how = "none in speed: the other devices did the work";
    out.push_back(std::move(f));
  }
}

void imbalance_rule(const DeviceBalance& b, std::vector<Finding>& out) {
  const double imb = device_imbalance(b.devices);
  if (imb <= kImbalanceWarn) return;
  auto [lo, hi] = std::minmax_element(
      b.devices.begin(), b.devices.end(),
      [](const DeviceFacts& x, const DeviceFacts& y) { return x.frames < y.frames; });
  Finding f = make("devices.imbalance", Severity::kWarning,
                   "frames were shared unevenly: device " + lo->device + " took " +
                       std::to_string(lo->frames) + ", device " + hi->device + " " +
                       std::to_string(hi->frames) + " (imbalance " + fmt(100 * imb, 0) + "%)");
  f.evidence = {{"imbalance", 100 * imb, "%"}};
  for (const DeviceFacts& d : b.devices)
    f.evidence.push_back(
        {"device " + d.device + " frames", static_cast<double>(d.frames), "frames"});
  f.fix =
      "work goes to whichever device is free, so the slow one is slower: see "
      "devices.throttled, or other processes on device " +
      lo->device + " (nvidia-smi)";
  // With even shares the run would end when the average device did: the slow one's excess.
  f.expected_gain_pct = 100 * imb / 2;
  f.gain_how = "estimate: half the imbalance, were the slow device as fast as the others";
  out.push_back(std::move(f));
}

void feeder_rule(const DeviceBalance& b, std::vector<Finding>& out) {
  if (!b.feeder_busy_pct || *b.feeder_busy_pct < kFeederBoundBusyPct) return;
  double busiest = 0;
  for (const DeviceFacts& d : b.devices) busiest = std::max(busiest, device_busy_pct(d, b.wall_ms));
  if (busiest >= kFeederBoundDeviceBusyPct) return;
  Finding f =
      make("devices.feeder_bound", Severity::kCritical,
           "one thread reading the source bounds every device: it was busy " +
               fmt(*b.feeder_busy_pct) + "% of the run, the busiest device " + fmt(busiest) + "%");
  f.evidence = {{"feeder busy", *b.feeder_busy_pct, "%"}, {"busiest device", busiest, "%"}};
  f.fix =
      "decode less or faster: vid_stride=2, a smaller source resolution, or a GPU decoder "
      "per device once decoder=nvdec exists; more devices will not help";
  f.expected_gain_pct = 100 - busiest;
  f.gain_how = "estimate: the devices' idle share, were the source no bound";
  out.push_back(std::move(f));
}

void throttle_rule(const DeviceBalance& b, std::vector<Finding>& out) {
  double top = 0;
  for (const DeviceFacts& d : b.devices)
    if (d.sm_clock_mhz) top = std::max(top, *d.sm_clock_mhz);
  if (top <= 0) return;
  for (const DeviceFacts& d : b.devices) {
    if (!d.sm_clock_mhz || *d.sm_clock_mhz >= kThrottledClockRatio * top) continue;
    Finding f = make("devices.throttled", Severity::kWarning,
                     "device " + d.device + " ran its SMs at " + fmt(*d.sm_clock_mhz, 0) +
                         " MHz, " + fmt(100 * (1 - *d.sm_clock_mhz / top), 0) +
                         "% below the fastest device (" + fmt(top, 0) + " MHz)");
    f.evidence = {{"device " + d.device + " SM clock", *d.sm_clock_mhz, "MHz"},
                  {"fastest SM clock", top, "MHz"}};
    f.fix = "check device " + d.device +
            "'s cooling and power limit: nvidia-smi -q -d "
            "PERFORMANCE,POWER,TEMPERATURE -i " +
            d.device;
    f.gain_how =
        "the run ends when the slowest device does; with least-loaded scheduling it "
        "takes fewer frames (devices.imbalance)";
    out.push_back(std::move(f));
  }
}

}  // namespace

std::vector<Finding> device_findings(const DeviceBalance& b) {
  std::vector<Finding> out;
  if (b.devices.size() < 2) return out;
  idle_rule(b, out);
  imbalance_rule(b, out);
  feeder_rule(b, out);
  throttle_rule(b, out);
  return out;
}

namespace advisor_rules {

void device_rules(const Context& c, std::vector<Finding>& out) {
  if (!c.run.devices) return;
  for (Finding& f : device_findings(*c.run.devices)) out.push_back(std::move(f));
}

}  // namespace advisor_rules
}  // namespace ys
