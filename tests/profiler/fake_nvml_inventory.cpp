// A stand-in libnvidia-ml for gpu_inventory_test: two H200s behind one PCIe switch, the second
// on bus 0x9a. Only the queries list_gpus makes; each answers as the real library would.
#include <cstdio>
#include <cstring>

extern "C" {
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
};

static int g_devices[2];

static int index_of(nvmlDevice_t d) {
  return reinterpret_cast<int*>(d) - g_devices;
}

int nvmlInit_v2() {
  return 0;
}
int nvmlShutdown() {
  return 0;
}
int nvmlDeviceGetCount_v2(unsigned int* n) {
  *n = 2;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t* d) {
  if (i >= 2) return 2;
  *d = reinterpret_cast<nvmlDevice_t>(&g_devices[i]);
  return 0;
}
int nvmlSystemGetDriverVersion(char* out, unsigned int n) {
  std::snprintf(out, n, "550.54.15");
  return 0;
}
int nvmlDeviceGetName(nvmlDevice_t, char* out, unsigned int n) {
  std::snprintf(out, n, "NVIDIA H200");
  return 0;
}
int nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t* m) {
  m->total = 150ull << 30;
  m->used = index_of(d) == 0 ? (1ull << 30) : (3ull << 30);
  m->free = m->total - m->used;
  return 0;
}
int nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, nvmlPciInfo_t* p) {
  std::memset(p, 0, sizeof *p);
  p->bus = index_of(d) == 0 ? 0x18 : 0x9a;
  return 0;
}
int nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int* mhz) {
  *mhz = type == 1 ? (index_of(d) == 0 ? 1980 : 1410) : 3201;
  return 0;
}
int nvmlDeviceGetMaxClockInfo(nvmlDevice_t, int type, unsigned int* mhz) {
  *mhz = type == 1 ? 1980 : 3201;
  return 0;
}
int nvmlDeviceGetCurrPcieLinkGeneration(nvmlDevice_t, unsigned int* v) {
  *v = 5;
  return 0;
}
int nvmlDeviceGetCurrPcieLinkWidth(nvmlDevice_t, unsigned int* v) {
  *v = 16;
  return 0;
}
int nvmlDeviceGetMaxPcieLinkGeneration(nvmlDevice_t, unsigned int* v) {
  *v = 5;
  return 0;
}
int nvmlDeviceGetMaxPcieLinkWidth(nvmlDevice_t, unsigned int* v) {
  *v = 16;
  return 0;
}
int nvmlDeviceGetTopologyCommonAncestor(nvmlDevice_t, nvmlDevice_t, int* level) {
  *level = 10;
  return 0;
}
}
