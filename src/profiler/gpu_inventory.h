// Every GPU of the machine as `yolo checks` lists it: name, memory, clocks, PCIe link, NUMA node,
// and how each pair is connected. NVML is loaded with dlopen, as the sampler does, so a machine
// without the NVIDIA driver gets an inventory that says why it is empty instead of an error. The
// NUMA node comes from sysfs (/sys/bus/pci/devices/<bus id>/numa_node), which NVML does not give
// on every driver; the pairs from nvmlDeviceGetTopologyCommonAncestor, which tells whether two
// GPUs share a PCIe switch (and so its uplink) or meet only at the CPU.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ys {

struct GpuListing {
  int index = 0;
  std::string name;
  std::string bus_id;  // sysfs form, "0000:17:00.0"
  std::optional<long long> mem_total_bytes, mem_used_bytes;
  std::optional<int> sm_clock_mhz, sm_clock_max_mhz, mem_clock_max_mhz;
  std::optional<int> pcie_gen, pcie_width, pcie_gen_max, pcie_width_max;
  std::optional<int> numa_node;  // none where sysfs says -1 (a single-node host) or nothing
};

struct GpuLink {
  int a = 0, b = 0;
  std::string path;  // topology_path_name of NVML's common-ancestor level
};

struct GpuInventory {
  bool available = false;  // NVML answered
  std::string why;         // why not
  std::string driver;
  std::vector<GpuListing> gpus;
  std::vector<GpuLink> links;  // one per pair, where NVML answers
};

GpuInventory list_gpus(const std::string& library = "libnvidia-ml.so.1",
                       const std::string& pci_root = "/sys/bus/pci/devices");

// NVML's nvmlGpuTopologyLevel_t (0, 10, ... 50) in words, e.g. "one PCIe switch".
std::string topology_path_name(int level);

// The lines `yolo checks` prints: one per GPU, one per pair, or one saying why there are none.
std::vector<std::string> describe_gpu_inventory(const GpuInventory& inventory);

}  // namespace ys
