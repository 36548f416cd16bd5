// A stand-in for libnvidia-ml with one device and fixed readings, some of them nonsense (a 256%
// utilisation as once seen on an H100, a 0 °C temperature), so that the sampler's loading,
// fallbacks and sanitising run on machines without a GPU. It exports only the older
// nvmlDeviceGetCurrentClocksThrottleReasons, which exercises the sampler's fallback.
// FAKE_NVML_INIT_ERROR=<code> in the environment makes nvmlInit_v2 fail with that code.
#include <unistd.h>

#include <cstdlib>

extern "C" {

struct nvmlDevice_st {
  int index;
};
struct FakeUtilization {
  unsigned int gpu, memory;
};
struct FakeMemory {
  unsigned long long total, free, used;
};

namespace {
nvmlDevice_st device0{0};
int init_count = 0;
}  // namespace

int nvmlInit_v2() {
  if (const char* e = std::getenv("FAKE_NVML_INIT_ERROR")) return std::atoi(e);
  ++init_count;
  return 0;
}

int nvmlShutdown() {
  --init_count;
  return 0;
}

// Lets the test check that every successful init was shut down.
int fake_nvml_init_count() {
  return init_count;
}

const char* nvmlErrorString(int r) {
  return r == 2 ? "Invalid Argument" : r == 9 ? "Driver Not Loaded" : "Unknown Error";
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_st** device) {
  if (index != 0) return 2;
  *device = &device0;
  return 0;
}

int nvmlDeviceGetUtilizationRates(nvmlDevice_st*, FakeUtilization* u) {
  u->gpu = 256;
  u->memory = 40;
  return 0;
}

int nvmlDeviceGetMemoryInfo(nvmlDevice_st*, FakeMemory* m) {
  m->total = 80ull << 30;
  m->used = 1ull << 30;
  m->free = m->total - m->used;
  return 0;
}

int nvmlDeviceGetClockInfo(nvmlDevice_st*, int type, unsigned int* mhz) {
  if (type == 1)
    *mhz = 1980;
  else if (type == 2)
    *mhz = 2619;
  else
    return 2;
  return 0;
}

int nvmlDeviceGetTemperature(nvmlDevice_st*, int, unsigned int* c) {
  *c = 0;
  return 0;
}

int nvmlDeviceGetPowerUsage(nvmlDevice_st*, unsigned int* mw) {
  *mw = 350500;
  return 0;
}

// Not supported, as on some boards: the sample must leave the figure empty.
int nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_st*, unsigned int*) {
  return 3;
}

int nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_st*, unsigned long long* reasons) {
  *reasons = 0x4 | 0x1000;
  return 0;
}

}  // extern "C"

// Long-run blame (issue 15): PCIe throughput, this test's own process and a made-up other one
// (pid 1: its /proc/1/comm is readable on every Linux), with an SM share for the other only.
extern "C" {
struct FakeProcess {
  unsigned int pid;
  unsigned long long used;
  unsigned int gi, ci;
};
struct FakeProcessUtil {
  unsigned int pid;
  unsigned long long ts;
  unsigned int sm, mem, enc, dec;
};

int nvmlDeviceGetPcieThroughput(nvmlDevice_st*, int counter, unsigned int* kbs) {
  *kbs = counter == 0 ? 1000 : 12000000;
  return 0;
}

int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_st*, unsigned int* n, FakeProcess* p) {
  if (*n < 2) {
    *n = 2;
    return 7;  // NVML_ERROR_INSUFFICIENT_SIZE
  }
  *n = 2;
  p[0] = {1, 2ull << 30, 0, 0};
  p[1] = {static_cast<unsigned int>(getpid()), 1ull << 30, 0, 0};
  return 0;
}

int nvmlDeviceGetProcessUtilization(nvmlDevice_st*, FakeProcessUtil* u, unsigned int* n,
                                    unsigned long long) {
  *n = 1;
  u[0] = {1, 123, 55, 3, 0, 0};
  return 0;
}
}  // extern "C"
