// Several devices in one run (issue 21): each device's figures, the imbalance between them, and
// the advisor's rules over them, as pure functions of constructed figures. The rules: a device
// that sat idle, frames shared unevenly, one feeder thread that bounds every device (the source
// is read once for all of them), and a device whose SM clock runs below the others'
// (throttling). Thresholds and wording: docs/ADVISOR.md, "Several devices".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ys {

struct Finding;

// One device's share of a run: the frame loop counts frames and busy time (DeviceRun), NVML
// gives the rest where it runs.
struct DeviceFacts {
  std::string device;  // "0", "1", ...
  int64_t frames = 0;
  double busy_ms = 0;                    // inside detect_batch
  std::optional<double> util_pct{};      // NVML GPU utilisation, mean over the run
  std::optional<double> sm_clock_mhz{};  // NVML SM clock, median over the run
  std::optional<int64_t> memory_used_bytes{};
};

struct DeviceBalance {
  double wall_ms = 0;                       // the run's
  std::optional<double> feeder_busy_pct{};  // the source's read time as a share of wall_ms
  std::vector<DeviceFacts> devices{};
};

// Busy time as a share of the run's wall time, 0 without one.
double device_busy_pct(const DeviceFacts& d, double wall_ms);
// 1 - fewest / most frames of any device; 0 with fewer than two devices.
double device_imbalance(const std::vector<DeviceFacts>& devices);

// Thresholds (docs/ADVISOR.md says why).
constexpr double kIdleDeviceBusyPct = 5;          // a device busy below 5% of the run is idle
constexpr double kImbalanceWarn = 0.25;           // frames shared more unevenly than 4:3
constexpr double kFeederBoundBusyPct = 90;        // the reader busy 90% of the run ...
constexpr double kFeederBoundDeviceBusyPct = 70;  // ... while no device is busy 70%
constexpr double kThrottledClockRatio = 0.9;      // SM clock below 90% of the fastest device's

// The findings (ids devices.idle, devices.imbalance, devices.feeder_bound, devices.throttled);
// none with fewer than two devices.
std::vector<Finding> device_findings(const DeviceBalance& balance);

}  // namespace ys
