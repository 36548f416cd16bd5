// What the GPU did during a profiled window, as plain records: per-span CUDA-event times (the
// default mode), CUPTI activity records (profile_detail=detailed) and NVML samples. All times
// are on the host's steady clock (now_ns()), CUPTI's clock being mapped onto it, so GPU records
// line up with the host's frames and stages. Records carry the execution step (and so the layer)
// and the frame they belong to where the tracer could attribute them; -1 where it could not.
// The same structure is written to and read from JSON (gpu_trace_io.h), which is how traces
// recorded on a GPU machine become test fixtures for machines without one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ys {

struct GpuDeviceInfo {
  int id = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  int64_t memory_bytes = 0;
  double sm_clock_mhz = 0;        // the maximum (boost) clock the peaks below assume
  double peak_fp32_tflops = 0;    // CUDA cores, FMA counted as 2
  double peak_fp16_tflops = 0;    // dense tensor cores; 0 without them
  double peak_bandwidth_gbs = 0;  // device memory
  bool tensor_cores = false;
};

struct GpuKernelRecord {
  std::string name;  // demangled where possible
  int device = 0;
  int64_t stream = 0;
  int64_t start_ns = 0, end_ns = 0;
  int grid[3] = {0, 0, 0};
  int block[3] = {0, 0, 0};
  int registers = 0;         // per thread
  int64_t shared_bytes = 0;  // static + dynamic, per block
  int64_t frame = -1;        // profiler frame index
  int step = -1;             // execution step (its node gives the layer)
  bool from_graph = false;   // replayed from a CUDA Graph
  uint64_t correlation = 0;  // CUPTI correlation id of the launching API call
};

enum class GpuCopyKind {
  kHostToDevice,
  kDeviceToHost,
  kDeviceToDevice,
  kHostToHost,
  kPeer,
  kMemset,
  kOther
};
enum class GpuMemoryKind { kUnknown, kPageable, kPinned, kDevice, kManaged };

struct GpuCopyRecord {
  GpuCopyKind kind = GpuCopyKind::kOther;
  GpuMemoryKind src = GpuMemoryKind::kUnknown, dst = GpuMemoryKind::kUnknown;
  int64_t bytes = 0;
  int device = 0;
  int64_t stream = 0;
  int64_t start_ns = 0, end_ns = 0;
  int64_t frame = -1;
  int step = -1;  // -1 for copies made outside the forward (input upload, output download)
  bool from_graph = false;
  uint64_t correlation = 0;
};

// A host thread blocked waiting for the device (stream, event or context synchronisation).
struct GpuSyncRecord {
  std::string what;  // "stream", "event", "context", "stream_wait_event"
  int device = 0;
  int64_t stream = 0;
  int64_t start_ns = 0, end_ns = 0;
  int64_t frame = -1;
};

// A CUDA runtime or driver API call on the host.
struct GpuApiRecord {
  std::string name;  // "cudaLaunchKernel", "cudaGraphLaunch", "cudaMemcpyAsync", ...
  int64_t start_ns = 0, end_ns = 0;
  uint32_t thread = 0;
  int64_t frame = -1;
  int step = -1;
  uint64_t correlation = 0;
  bool launches_kernel = false;  // a kernel launch (graph launches not counted)
};

// One traced frame's span times from CUDA events (see DeviceTimer::set_span_timing).
struct GpuSpanFrame {
  int64_t frame = -1;
  std::vector<float> ms;  // one per span
};

// One NVML reading of one device. Absent fields: NVML could not say (or said nonsense).
struct NvmlSample {
  int64_t t_ns = 0;
  int device = 0;
  std::optional<double> gpu_util_pct, mem_util_pct;
  std::optional<int64_t> mem_used_bytes, mem_total_bytes;
  std::optional<double> sm_clock_mhz, mem_clock_mhz;
  std::optional<double> temperature_c, power_w, power_limit_w;
  std::optional<uint64_t> throttle_reasons;  // NVML's clocks-event-reason bit mask
  // PCIe throughput over NVML's last 20 ms, KB/s (nvmlDeviceGetPcieThroughput).
  std::optional<double> pcie_tx_kbs, pcie_rx_kbs;
  // Compute processes on the device (nvmlDeviceGetComputeRunningProcesses), with their SM
  // utilisation since the previous reading where NVML gives it; ours included.
  struct Process {
    int pid = 0;
    std::string comm;  // from /proc/<pid>/comm; "" when not visible (another container)
    int64_t memory_bytes = 0;
    std::optional<double> sm_util_pct;
  };
  std::vector<Process> processes;
};

// The host side a trace is read against, stored with it so a trace file can be analysed on its
// own (test fixtures recorded on a GPU machine): a measured frame's stage windows, indexed by
// PipelineStage (0: the stage did not run), and a layer with the execution steps it ran.
struct GpuHostFrame {
  int64_t frame = -1;
  std::vector<int64_t> begin_ns, end_ns;
};
struct GpuLayerRef {
  std::string id, label, type;
  int stage = 0;  // model::Stage
  std::vector<size_t> steps;
  int64_t flops = 0, bytes = 0;
};

struct GpuTrace {
  std::string detail;  // "events" (default) or "detailed" (CUPTI)
  std::vector<GpuDeviceInfo> devices;
  int64_t window_begin_ns = 0, window_end_ns = 0;

  // CUDA events: span i starts at execution step span_starts[i].
  std::vector<size_t> span_starts;
  std::vector<GpuSpanFrame> span_frames;
  int64_t kernels_per_run = -1;  // as the backend knows it (DeviceTimer::kernels_per_run)
  bool cuda_graph = false;

  // CUPTI (detailed mode only).
  bool cupti = false;
  std::string cupti_why;  // why there is no CUPTI trace, when there is none in detailed mode
  std::vector<GpuKernelRecord> kernels;
  std::vector<GpuCopyRecord> copies;
  std::vector<GpuSyncRecord> syncs;
  std::vector<GpuApiRecord> api;
  int64_t dropped_records = 0;
  // CUPTI's clock mapped to the host's: host_ns = cupti_ns * clock_scale + clock_offset_ns.
  double clock_scale = 1.0;
  double clock_offset_ns = 0;

  // NVML.
  bool nvml = false;
  std::string nvml_why;  // why there are no samples
  std::vector<NvmlSample> samples;

  // Host context (filled when the trace is written with a profile).
  int64_t profile_start_ns = 0;
  std::vector<GpuHostFrame> host_frames;
  std::vector<GpuLayerRef> layers;
};

const char* copy_kind_name(
    GpuCopyKind k);  // "HtoD", "DtoH", "DtoD", "HtoH", "PtoP", "memset", "other"
const char* memory_kind_name(
    GpuMemoryKind k);  // "unknown", "pageable", "pinned", "device", "managed"

}  // namespace ys
