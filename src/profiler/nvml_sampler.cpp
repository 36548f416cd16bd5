#include "profiler/nvml_sampler.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "core/clock.h"
#include "core/error.h"

namespace ys {
namespace {

// The few NVML declarations used, as in nvml.h (which this machine does not have). Enums are
// passed as int, their C representation.
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlUtilization_t {
  unsigned int gpu, memory;
};
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
// nvmlProcessInfo_v2_t, which the _v3 and _v2 process queries fill.
struct nvmlProcessInfo_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId, computeInstanceId;
};
struct nvmlProcessUtilizationSample_t {
  unsigned int pid;
  unsigned long long timeStamp;
  unsigned int smUtil, memUtil, encUtil, decUtil;
};
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr int kNvmlPcieTx = 0, kNvmlPcieRx = 1;
// Processes read per device and reading; more are left out.
constexpr unsigned int kMaxProcesses = 64;
constexpr int kNvmlClockSm = 1, kNvmlClockMem = 2;
constexpr int kNvmlTemperatureGpu = 0;

// Readings outside these bounds are not physical for any GPU NVML supports.
constexpr double kMaxTemperatureC = 150;
constexpr double kMaxClockMhz = 10000;
constexpr double kMaxPowerW = 5000;

template <typename F>
F symbol(void* handle, const char* name) {
  return reinterpret_cast<F>(dlsym(handle, name));
}

bool valid_pct(double v) {
  return std::isfinite(v) && v >= 0 && v <= 100;
}

}  // namespace

struct NvmlSampler::Library {
  void* handle = nullptr;
  bool initialised = false;
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*handle_by_index)(unsigned int, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned int*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned int*) = nullptr;
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned int*) = nullptr;
  nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned int*) = nullptr;
  nvmlReturn_t (*reasons)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*pcie)(nvmlDevice_t, int, unsigned int*) = nullptr;
  nvmlReturn_t (*processes)(nvmlDevice_t, unsigned int*, nvmlProcessInfo_t*) = nullptr;
  nvmlReturn_t (*process_util)(nvmlDevice_t, nvmlProcessUtilizationSample_t*, unsigned int*,
                               unsigned long long) = nullptr;
  // Per device, the newest per-process utilisation sample seen, so each reading asks for the
  // samples since the previous one. Only the sampler's thread reads devices.
  mutable std::map<nvmlDevice_t, unsigned long long> last_seen;
  std::vector<std::pair<int, nvmlDevice_t>> devices;

  Library() = default;
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  ~Library() {
    if (initialised) shutdown();
    if (handle) dlclose(handle);
  }

  std::string error(nvmlReturn_t r) const {
    const char* s = error_string ? error_string(r) : nullptr;
    return s ? cat(s, " (", r, ")") : cat("error ", r);
  }

  NvmlSample read(int index, nvmlDevice_t d) const {
    NvmlSample s;
    s.t_ns = now_ns();
    s.device = index;
    nvmlUtilization_t u{};
    if (utilization && utilization(d, &u) == kNvmlSuccess) {
      s.gpu_util_pct = u.gpu;
      s.mem_util_pct = u.memory;
    }
    nvmlMemory_t m{};
    if (memory && memory(d, &m) == kNvmlSuccess) {
      s.mem_used_bytes = static_cast<int64_t>(m.used);
      s.mem_total_bytes = static_cast<int64_t>(m.total);
    }
    unsigned int v = 0;
    if (clock && clock(d, kNvmlClockSm, &v) == kNvmlSuccess) s.sm_clock_mhz = v;
    if (clock && clock(d, kNvmlClockMem, &v) == kNvmlSuccess) s.mem_clock_mhz = v;
    if (temperature && temperature(d, kNvmlTemperatureGpu, &v) == kNvmlSuccess) s.temperature_c = v;
    if (power && power(d, &v) == kNvmlSuccess) s.power_w = v / 1000.0;  // mW
    if (power_limit && power_limit(d, &v) == kNvmlSuccess) s.power_limit_w = v / 1000.0;
    unsigned long long r = 0;
    if (reasons && reasons(d, &r) == kNvmlSuccess) s.throttle_reasons = r;
    if (pcie && pcie(d, kNvmlPcieTx, &v) == kNvmlSuccess) s.pcie_tx_kbs = v;
    if (pcie && pcie(d, kNvmlPcieRx, &v) == kNvmlSuccess) s.pcie_rx_kbs = v;
    read_processes(d, s);
    return sanitize_nvml_sample(s);
  }

  // Other processes on the device are the long-run blame's suspects: pid, command, memory, and
  // their SM share since the previous reading.
  void read_processes(nvmlDevice_t d, NvmlSample& s) const {
    if (!processes) return;
    nvmlProcessInfo_t info[kMaxProcesses];
    unsigned int n = kMaxProcesses;
    if (processes(d, &n, info) != kNvmlSuccess) return;
    for (unsigned int i = 0; i < std::min(n, kMaxProcesses); ++i) {
      NvmlSample::Process p;
      p.pid = static_cast<int>(info[i].pid);
      // NVML gives ~0 when the memory is not visible (a process in another container).
      if (info[i].usedGpuMemory < (1ULL << 62))
        p.memory_bytes = static_cast<int64_t>(info[i].usedGpuMemory);
      std::ifstream comm("/proc/" + std::to_string(p.pid) + "/comm");
      std::getline(comm, p.comm);
      s.processes.push_back(p);
    }
    if (!process_util) return;
    nvmlProcessUtilizationSample_t u[kMaxProcesses];
    unsigned int m = kMaxProcesses;
    unsigned long long& seen = last_seen[d];
    if (process_util(d, u, &m, seen) != kNvmlSuccess) return;
    for (unsigned int i = 0; i < std::min(m, kMaxProcesses); ++i) {
      seen = std::max(seen, u[i].timeStamp);
      for (NvmlSample::Process& p : s.processes) {
        if (p.pid == static_cast<int>(u[i].pid) && u[i].smUtil <= 100)
          p.sm_util_pct = std::max(p.sm_util_pct.value_or(0), static_cast<double>(u[i].smUtil));
      }
    }
  }
};

NvmlSample sanitize_nvml_sample(NvmlSample s) {
  if (s.gpu_util_pct && !valid_pct(*s.gpu_util_pct)) s.gpu_util_pct.reset();
  if (s.mem_util_pct && !valid_pct(*s.mem_util_pct)) s.mem_util_pct.reset();
  if (s.mem_total_bytes && *s.mem_total_bytes <= 0) s.mem_total_bytes.reset();
  if (s.mem_used_bytes &&
      (*s.mem_used_bytes < 0 || (s.mem_total_bytes && *s.mem_used_bytes > *s.mem_total_bytes)))
    s.mem_used_bytes.reset();
  auto in_range = [](std::optional<double>& v, double lo_exclusive, double hi) {
    if (v && !(std::isfinite(*v) && *v > lo_exclusive && *v <= hi)) v.reset();
  };
  in_range(s.sm_clock_mhz, 0, kMaxClockMhz);
  in_range(s.mem_clock_mhz, 0, kMaxClockMhz);
  in_range(s.temperature_c, 0, kMaxTemperatureC);
  if (s.power_w && !(std::isfinite(*s.power_w) && *s.power_w >= 0 && *s.power_w <= kMaxPowerW))
    s.power_w.reset();
  in_range(s.power_limit_w, 0, kMaxPowerW);
  return s;
}

NvmlSampler::NvmlSampler(std::vector<int> devices, int period_ms, const std::string& library,
                         OnTick on_tick)
    : lib_(std::make_unique<Library>()), devices_(std::move(devices)) {
  Library& l = *lib_;
  l.handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!l.handle) {
    const char* e = dlerror();
    why_ = cat("cannot load ", library, ": ", e ? e : "unknown error");
    return;
  }
  l.init = symbol<decltype(l.init)>(l.handle, "nvmlInit_v2");
  l.shutdown = symbol<decltype(l.shutdown)>(l.handle, "nvmlShutdown");
  l.error_string = symbol<decltype(l.error_string)>(l.handle, "nvmlErrorString");
  l.handle_by_index =
      symbol<decltype(l.handle_by_index)>(l.handle, "nvmlDeviceGetHandleByIndex_v2");
  if (!l.init || !l.shutdown || !l.handle_by_index) {
    why_ = cat(library, " lacks nvmlInit_v2, nvmlShutdown or nvmlDeviceGetHandleByIndex_v2");
    return;
  }
  l.utilization = symbol<decltype(l.utilization)>(l.handle, "nvmlDeviceGetUtilizationRates");
  l.memory = symbol<decltype(l.memory)>(l.handle, "nvmlDeviceGetMemoryInfo");
  l.clock = symbol<decltype(l.clock)>(l.handle, "nvmlDeviceGetClockInfo");
  l.temperature = symbol<decltype(l.temperature)>(l.handle, "nvmlDeviceGetTemperature");
  l.power = symbol<decltype(l.power)>(l.handle, "nvmlDeviceGetPowerUsage");
  l.power_limit = symbol<decltype(l.power_limit)>(l.handle, "nvmlDeviceGetEnforcedPowerLimit");
  // Renamed from "throttle" to "event" reasons in NVML 12.2; older drivers have only the old name.
  l.reasons = symbol<decltype(l.reasons)>(l.handle, "nvmlDeviceGetCurrentClocksEventReasons");
  if (!l.reasons)
    l.reasons = symbol<decltype(l.reasons)>(l.handle, "nvmlDeviceGetCurrentClocksThrottleReasons");
  l.pcie = symbol<decltype(l.pcie)>(l.handle, "nvmlDeviceGetPcieThroughput");
  l.processes = symbol<decltype(l.processes)>(l.handle, "nvmlDeviceGetComputeRunningProcesses_v3");
  if (!l.processes)
    l.processes =
        symbol<decltype(l.processes)>(l.handle, "nvmlDeviceGetComputeRunningProcesses_v2");
  l.process_util = symbol<decltype(l.process_util)>(l.handle, "nvmlDeviceGetProcessUtilization");

  const nvmlReturn_t r = l.init();
  if (r != kNvmlSuccess) {
    why_ = cat("nvmlInit_v2 failed in ", library, ": ", l.error(r));
    return;
  }
  l.initialised = true;
  std::string missing;
  for (int index : devices_) {
    nvmlDevice_t d = nullptr;
    const nvmlReturn_t e =
        index >= 0 ? l.handle_by_index(static_cast<unsigned int>(index), &d) : kNvmlSuccess;
    if (e == kNvmlSuccess && d) {
      l.devices.emplace_back(index, d);
    } else {
      missing += cat(missing.empty() ? "" : "; ", "device ", index, ": ",
                     e == kNvmlSuccess ? std::string("no such device") : l.error(e));
    }
  }
  if (l.devices.empty()) {
    why_ = devices_.empty() ? std::string("no devices to sample")
                            : cat("NVML has none of the devices asked for (", missing, ")");
    return;
  }
  available_ = true;
  sampler_.start(period_ms, PeriodicSampler<NvmlSample>::FirstReading::kAtStart,
                 [this, on_tick = std::move(on_tick)](std::vector<NvmlSample>& out) {
                   for (const auto& [index, device] : lib_->devices)
                     out.push_back(lib_->read(index, device));
                   if (on_tick) {
                     on_tick(out);
                     out.clear();
                   }
                 });
}

NvmlSampler::~NvmlSampler() {
  stop();
}

}  // namespace ys
