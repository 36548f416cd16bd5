// The profile of a run over several devices (device=0,1; issue 21): for each device its frames,
// batches, busy time and utilisation of the run, the latency of its batches in the measured
// window, NVML's utilisation, memory and clocks where a GPU was sampled, and its failure with the
// frames it lost; for the run, how unevenly the devices shared the frames and the busy time, and
// how busy the one feeder thread (the source's reader) was. summary.json's "devices", the report's
// device table, the console's device lines and the advisor's several-device facts all come from
// here; the timeline's per-device lanes come from device_trace_events.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/device_balance.h"
#include "analysis/statistics.h"
#include "profiler/gpu_trace.h"
#include "profiler/profiler.h"

namespace ys {

// One device's totals over the whole run, as the frame loop counted them (pipeline's DeviceRun,
// copied here because analysis/ does not include pipeline/).
struct DeviceTotals {
  std::string device;  // "0", "1", ...
  int64_t frames = 0, batches = 0;
  double busy_ms = 0;  // inside detect_batch
  double read_ms = 0;  // reading its batches from the source
  bool failed = false;
  std::string error{};
  std::vector<int64_t> lost_frames{};
  int nvml_index = -1;  // the GPU NVML sampled for it; -1: none (a CPU or a fake device)
};

// One batch of the measured window: which device ran it and when each stage began and ended
// (now_ns(); 0 where the stage did not run).
struct DeviceBatch {
  size_t device = 0;  // index into the totals
  int64_t first_frame = 0;
  int64_t frames = 0;
  std::array<int64_t, kPipelineStageCount> begin_ns{}, end_ns{};
};

struct DeviceFigures {
  DeviceFacts facts;  // device, frames, busy time and the NVML means the advisor reads
  int64_t batches = 0;
  double busy_pct = 0;         // busy time against the run's wall time
  double frame_share_pct = 0;  // of all frames the devices detected
  // From preprocess to NMS of each of its batches in the measured window, and per frame.
  int64_t measured_batches = 0;
  Stats batch_ms, frame_ms;
  // NVML over the run (nvml_samples == 0: none; the optionals of facts then stay empty).
  int64_t nvml_samples = 0;
  std::optional<double> mem_clock_mhz, power_w, temperature_c;
  bool failed = false;
  std::string error;
  std::vector<int64_t> lost_frames;
  int nvml_index = -1;
  // Its GPU's NUMA node (sysfs, through NVML's bus id), where its pinned buffers go on a host of
  // several nodes; set by the caller, none on a CPU or where sysfs does not say.
  std::optional<int> numa_node;
};

// How two GPUs of the pool are connected (NVML's common ancestor, profiler/gpu_inventory.h): two
// behind one PCIe switch share its uplink to the host.
struct DeviceLink {
  std::string a, b;  // device names
  std::string path;  // "one PCIe switch", "one PCIe host bridge", ...
};

struct DeviceProfile {
  double wall_ms = 0;
  double frame_imbalance = 0;  // 1 - fewest / most frames
  double busy_imbalance = 0;   // 1 - least / most busy time
  std::optional<double> feeder_busy_pct;
  std::vector<DeviceFigures> devices;
  std::vector<DeviceLink> links;  // set by the caller where NVML gives the topology
  int numa_nodes = 1;             // the host's online NUMA nodes, set by the caller
};

// `batches` are the measured window's; `nvml` any samples, matched to a device by nvml_index.
DeviceProfile analyze_devices(const std::vector<DeviceTotals>& totals,
                              const std::vector<DeviceBatch>& batches,
                              const std::vector<NvmlSample>& nvml, double wall_ms);

// The advisor's view of it (RunFacts::devices).
DeviceBalance device_balance(const DeviceProfile& p);

// trace.json events: one process per device ("Device 0", after the host and the GPUs), with a
// lane of its batches' stages, preprocess to NMS, each tagged with its frames and device, and
// where NVML sampled it, counters of its utilisation, memory and SM clock.
nlohmann::json device_trace_events(const DeviceProfile& p, const std::vector<DeviceBatch>& batches,
                                   const std::vector<NvmlSample>& nvml, int64_t start_ns);

}  // namespace ys
