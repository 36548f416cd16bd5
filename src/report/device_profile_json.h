// A run over several devices (device=0,1; issue 21) in the reports: summary.json's "devices" (one
// object per device) and "device_balance" (schema in docs/PROFILE_SCHEMA.md), and the console's
// lines, one per device and one for the balance between them. NVML figures are null, not zero,
// where no GPU was sampled.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analysis/device_profile.h"

namespace ys {

nlohmann::json devices_json(const DeviceProfile& p);
nlohmann::json device_balance_json(const DeviceProfile& p);

// "  Device 0: 120 frames (50%), busy 81% ..." per device, then the imbalance and the feeder.
std::string devices_console(const DeviceProfile& p);

}  // namespace ys
