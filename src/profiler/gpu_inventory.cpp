#include "profiler/gpu_inventory.h"

#include <dlfcn.h>

#include <cstdio>

#include "core/error.h"
#include "core/numa_memory.h"

namespace ys {
namespace {

// The NVML declarations used, as in nvml.h (not installed here); enums passed as int.
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
struct nvmlPciInfo_t {  // nvmlPciInfo_t of NVML 11+ (nvmlDeviceGetPciInfo_v3)
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
};
constexpr int kClockSm = 1, kClockMem = 2;

template <typename F>
F symbol(void* handle, const char* name) {
  return reinterpret_cast<F>(dlsym(handle, name));
}

// dlopen's handle, closed (and NVML shut down) on every path out.
struct Nvml {
  void* handle = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  bool initialised = false;
  ~Nvml() {
    if (initialised && shutdown) shutdown();
    if (handle) dlclose(handle);
  }
};

std::optional<int> unsigned_query(nvmlReturn_t (*f)(nvmlDevice_t, unsigned int*), nvmlDevice_t d) {
  unsigned int v = 0;
  if (f && f(d, &v) == 0) return static_cast<int>(v);
  return std::nullopt;
}

std::optional<int> clock_query(nvmlReturn_t (*f)(nvmlDevice_t, int, unsigned int*), nvmlDevice_t d,
                               int type) {
  unsigned int v = 0;
  if (f && f(d, type, &v) == 0 && v > 0) return static_cast<int>(v);
  return std::nullopt;
}

std::string gib(long long bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  return buf;
}

}  // namespace

std::string topology_path_name(int level) {
  switch (level) {
    case 0:
      return "the same board";
    case 10:
      return "one PCIe switch";
    case 20:
      return "several PCIe switches";
    case 30:
      return "one PCIe host bridge";
    case 40:
      return "one NUMA node (host bridges apart)";
    case 50:
      return "across NUMA nodes (SMP interconnect)";
    default:
      return cat("topology level ", level);
  }
}

GpuInventory list_gpus(const std::string& library, const std::string& pci_root) {
  GpuInventory inv;
  Nvml nvml;
  nvml.handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!nvml.handle) {
    const char* e = dlerror();
    inv.why = cat("no NVIDIA driver (cannot load ", library, ": ", e ? e : "unknown error", ")");
    return inv;
  }
  auto init = symbol<nvmlReturn_t (*)()>(nvml.handle, "nvmlInit_v2");
  nvml.shutdown = symbol<nvmlReturn_t (*)()>(nvml.handle, "nvmlShutdown");
  auto count = symbol<nvmlReturn_t (*)(unsigned int*)>(nvml.handle, "nvmlDeviceGetCount_v2");
  auto by_index = symbol<nvmlReturn_t (*)(unsigned int, nvmlDevice_t*)>(
      nvml.handle, "nvmlDeviceGetHandleByIndex_v2");
  if (!init || !nvml.shutdown || !count || !by_index) {
    inv.why = cat(library, " lacks nvmlInit_v2, nvmlDeviceGetCount_v2 or its handle query");
    return inv;
  }
  if (const nvmlReturn_t r = init(); r != 0) {
    inv.why = cat("nvmlInit_v2 failed (NVML error ", r, ")");
    return inv;
  }
  nvml.initialised = true;
  auto driver =
      symbol<nvmlReturn_t (*)(char*, unsigned int)>(nvml.handle, "nvmlSystemGetDriverVersion");
  auto name =
      symbol<nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned int)>(nvml.handle, "nvmlDeviceGetName");
  auto memory =
      symbol<nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_t*)>(nvml.handle, "nvmlDeviceGetMemoryInfo");
  auto pci = symbol<nvmlReturn_t (*)(nvmlDevice_t, nvmlPciInfo_t*)>(nvml.handle,
                                                                    "nvmlDeviceGetPciInfo_v3");
  using ClockF = nvmlReturn_t (*)(nvmlDevice_t, int, unsigned int*);
  auto clock = symbol<ClockF>(nvml.handle, "nvmlDeviceGetClockInfo");
  auto max_clock = symbol<ClockF>(nvml.handle, "nvmlDeviceGetMaxClockInfo");
  using UintF = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*);
  auto gen = symbol<UintF>(nvml.handle, "nvmlDeviceGetCurrPcieLinkGeneration");
  auto width = symbol<UintF>(nvml.handle, "nvmlDeviceGetCurrPcieLinkWidth");
  auto gen_max = symbol<UintF>(nvml.handle, "nvmlDeviceGetMaxPcieLinkGeneration");
  auto width_max = symbol<UintF>(nvml.handle, "nvmlDeviceGetMaxPcieLinkWidth");
  auto ancestor = symbol<nvmlReturn_t (*)(nvmlDevice_t, nvmlDevice_t, int*)>(
      nvml.handle, "nvmlDeviceGetTopologyCommonAncestor");

  inv.available = true;
  char text[96] = {};
  if (driver && driver(text, sizeof text) == 0) inv.driver = text;
  unsigned int n = 0;
  if (count(&n) != 0) n = 0;
  std::vector<nvmlDevice_t> handles;
  for (unsigned int i = 0; i < n; ++i) {
    nvmlDevice_t d = nullptr;
    if (by_index(i, &d) != 0 || !d) continue;
    handles.push_back(d);
    GpuListing g;
    g.index = static_cast<int>(i);
    if (name && name(d, text, sizeof text) == 0) g.name = text;
    nvmlMemory_t m{};
    if (memory && memory(d, &m) == 0) {
      g.mem_total_bytes = static_cast<long long>(m.total);
      g.mem_used_bytes = static_cast<long long>(m.used);
    }
    nvmlPciInfo_t p{};
    if (pci && pci(d, &p) == 0) {
      char id[32];
      std::snprintf(id, sizeof id, "%04x:%02x:%02x.0", p.domain & 0xffffu, p.bus, p.device);
      g.bus_id = id;
      g.numa_node = pci_numa_node(g.bus_id, pci_root);
    }
    g.sm_clock_mhz = clock_query(clock, d, kClockSm);
    g.sm_clock_max_mhz = clock_query(max_clock, d, kClockSm);
    g.mem_clock_max_mhz = clock_query(max_clock, d, kClockMem);
    g.pcie_gen = unsigned_query(gen, d);
    g.pcie_width = unsigned_query(width, d);
    g.pcie_gen_max = unsigned_query(gen_max, d);
    g.pcie_width_max = unsigned_query(width_max, d);
    inv.gpus.push_back(std::move(g));
  }
  for (size_t a = 0; ancestor && a < handles.size(); ++a) {
    for (size_t b = a + 1; b < handles.size(); ++b) {
      int level = 0;
      if (ancestor(handles[a], handles[b], &level) == 0)
        inv.links.push_back({inv.gpus[a].index, inv.gpus[b].index, topology_path_name(level)});
    }
  }
  return inv;
}

std::vector<std::string> describe_gpu_inventory(const GpuInventory& inv) {
  if (!inv.available) return {cat("GPUs: none: ", inv.why)};
  if (inv.gpus.empty()) return {cat("GPUs: none: NVML (driver ", inv.driver, ") finds no device")};
  std::vector<std::string> lines;
  lines.push_back(cat("GPUs: ", inv.gpus.size(), " (driver ", inv.driver, ")"));
  for (const GpuListing& g : inv.gpus) {
    std::string s = cat("  GPU ", g.index, ": ", g.name.empty() ? "unnamed" : g.name);
    if (g.mem_total_bytes)
      s += cat(", memory ", gib(*g.mem_total_bytes),
               g.mem_used_bytes ? cat(" (", gib(*g.mem_used_bytes), " used)") : "");
    if (g.sm_clock_max_mhz)
      s += cat(", SM clock ", g.sm_clock_mhz ? cat(*g.sm_clock_mhz, "/") : "", *g.sm_clock_max_mhz,
               " MHz");
    if (g.mem_clock_max_mhz) s += cat(", memory clock ", *g.mem_clock_max_mhz, " MHz");
    if (g.pcie_gen && g.pcie_width)
      s += cat(", PCIe gen ", *g.pcie_gen, " x", *g.pcie_width,
               g.pcie_gen_max && g.pcie_width_max
                   ? cat(" (max gen ", *g.pcie_gen_max, " x", *g.pcie_width_max, ")")
                   : "");
    if (!g.bus_id.empty()) s += cat(", bus ", g.bus_id);
    s += g.numa_node ? cat(", NUMA node ", *g.numa_node) : std::string(", NUMA node: none given");
    lines.push_back(s);
  }
  for (const GpuLink& l : inv.links)
    lines.push_back(cat("  GPU ", l.a, " <-> GPU ", l.b, ": ", l.path));
  return lines;
}

}  // namespace ys
