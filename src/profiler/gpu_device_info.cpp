#include "profiler/gpu_device_info.h"

#include "core/error.h"

#if YS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace ys {
namespace {

struct ArchThroughput {
  int major, minor;  // minor -1: every minor version of that major
  int fp32_fma;      // FP32 FMA per clock per SM on the CUDA cores
  int fp16_fma;      // dense FP16 tensor-core FMA per clock per SM (FP32 accumulate on data-centre
                     // parts; GeForce parts halve it for FP32 accumulate)
};

// From NVIDIA's architecture whitepapers; each row reproduces the datasheet peak of its flagship
// (V100 125, T4 65, A100 312, H100 SXM 989 TFLOP/s FP16 dense at their tensor clocks).
constexpr ArchThroughput kArchs[] = {
    {7, 0, 64, 512},      // Volta (V100)
    {7, 2, 64, 512},      // Xavier
    {7, 5, 64, 256},      // Turing (T4)
    {8, 0, 64, 1024},     // A100
    {8, 6, 128, 512},     // GA10x
    {8, 7, 128, 512},     // Orin
    {8, 9, 128, 512},     // Ada (L4, L40, RTX 40)
    {9, 0, 128, 2048},    // Hopper (H100, H200)
    {10, -1, 128, 4096},  // Blackwell data centre (B200)
    {12, -1, 128, 512},   // Blackwell consumer (RTX 50)
};

}  // namespace

void fill_gpu_peaks(GpuDeviceInfo& info) {
  const double clocks_per_s = info.sm_clock_mhz * 1e6 * info.sm_count;
  int fp32 = info.cc_major >= 8 ? 128 : 64, fp16 = 0;
  for (const ArchThroughput& a : kArchs) {
    if (a.major == info.cc_major && (a.minor < 0 || a.minor == info.cc_minor)) {
      fp32 = a.fp32_fma;
      fp16 = a.fp16_fma;
      break;
    }
  }
  info.tensor_cores = info.cc_major >= 7;
  info.peak_fp32_tflops = clocks_per_s * fp32 * 2 / 1e12;
  info.peak_fp16_tflops = info.tensor_cores ? clocks_per_s * fp16 * 2 / 1e12 : 0;
}

std::optional<GpuDeviceInfo> query_gpu_device(int device, std::string* why) {
#if YS_HAVE_CUDA
  auto attribute = [device](cudaDeviceAttr a) {
    int v = 0;
    return cudaDeviceGetAttribute(&v, a, device) == cudaSuccess ? v : 0;
  };
  cudaDeviceProp p{};
  const cudaError_t status = cudaGetDeviceProperties(&p, device);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    if (why) *why = cat("cudaGetDeviceProperties(", device, "): ", cudaGetErrorString(status));
    return std::nullopt;
  }
  GpuDeviceInfo info;
  info.id = device;
  info.name = p.name;
  info.cc_major = p.major;
  info.cc_minor = p.minor;
  info.sm_count = p.multiProcessorCount;
  info.memory_bytes = static_cast<int64_t>(p.totalGlobalMem);
  // CUDA 13 dropped the clock fields from cudaDeviceProp; the attributes remain (kHz).
  info.sm_clock_mhz = attribute(cudaDevAttrClockRate) / 1e3;
  const double memory_clock_hz = attribute(cudaDevAttrMemoryClockRate) * 1e3;
  const double bus_bytes = attribute(cudaDevAttrGlobalMemoryBusWidth) / 8.0;
  info.peak_bandwidth_gbs = memory_clock_hz * bus_bytes * 2 / 1e9;  // double data rate
  fill_gpu_peaks(info);
  return info;
#else
  (void)device;
  if (why) *why = "CUDA not compiled in";
  return std::nullopt;
#endif
}

}  // namespace ys
