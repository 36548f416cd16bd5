// What a GPU trace says about the device: name, SMs, compute capability, memory, and the peaks a
// roofline compares against. Peaks are the SM count times the maximum SM clock the device reports
// times a per-architecture throughput per SM per clock (the table in gpu_device_info.cpp), FMA
// counted as two operations. NVIDIA's datasheets quote tensor-core figures at a lower clock than
// the maximum (H100 SXM: 989 TFLOP/s FP16 at 1.83 GHz, where 1.98 GHz gives 1070), so these peaks
// are the upper bounds the hardware reaches at its top clock.
#pragma once

#include <optional>
#include <string>

#include "profiler/gpu_trace.h"

namespace ys {

// Fills peak_fp32_tflops, peak_fp16_tflops and tensor_cores from cc_major/cc_minor, sm_count and
// sm_clock_mhz. An architecture missing from the table gets FP16 peak 0 (unknown).
void fill_gpu_peaks(GpuDeviceInfo& info);

// The device's facts through the CUDA runtime, peaks included; nullopt with `why` set where CUDA
// is not compiled in or the device cannot be queried.
std::optional<GpuDeviceInfo> query_gpu_device(int device, std::string* why = nullptr);

}  // namespace ys
