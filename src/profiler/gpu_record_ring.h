// The GPU side of a long run's flight recorder: CUPTI's kernel, copy and synchronisation records
// kept in fixed-size rings for as long as a flight record may still claim them, so hours of
// tracing stay in bounded memory. CUPTI's buffer thread adds compact records on CUPTI's clock
// (kernel names interned, no allocation per record); the long run's checkpoint thread flushes
// CUPTI once a second, which also reads both clocks, pulls the records inside each flight frame's
// host window, mapped onto the host clock piecewise between those readings, and drops what no
// record can claim any more. The ring knows nothing of CUPTI: tests feed it synthetic records.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "profiler/gpu_trace.h"

namespace ys {

// One simultaneous reading of the host's clock and CUPTI's.
struct ClockPair {
  int64_t host_ns = 0;
  uint64_t cupti_ns = 0;
};

// One flight frame's GPU work, times in ms from the frame's begin. A kernel's name indexes the
// record's name table (FlightRecord::kernel_names); step is its execution step, -1 unknown.
struct FlightKernel {
  uint32_t name = 0;
  int32_t step = -1;
  float start_ms = 0, ms = 0;
};
struct FlightCopy {
  GpuCopyKind kind = GpuCopyKind::kOther;
  GpuMemoryKind src = GpuMemoryKind::kUnknown, dst = GpuMemoryKind::kUnknown;
  int64_t bytes = 0;
  float start_ms = 0, ms = 0;
};
struct FlightWait {
  uint8_t what = 0;  // index into gpu_wait_names()
  float start_ms = 0, ms = 0;
};
struct FlightGpu {
  std::vector<FlightKernel> kernels;  // by start
  std::vector<FlightCopy> copies;
  std::vector<FlightWait> waits;
  int64_t kernels_dropped = 0, copies_dropped = 0, waits_dropped = 0;  // over the caps
};

// "unknown", "event", "stream_wait_event", "stream", "context": FlightWait::what's names.
const std::vector<std::string>& gpu_wait_names();
uint8_t gpu_wait_index(std::string_view what);

struct GpuRingOptions {
  size_t kernels = size_t{1} << 17;  // 32 B each: 4 MiB
  size_t copies = size_t{1} << 13;
  size_t waits = size_t{1} << 13;
  size_t correlations = size_t{1} << 16;  // eager launches' steps (external correlation)
  size_t max_names = 4096;                // distinct kernel names; beyond: "(other kernels)"
  size_t clock_pairs = 256;               // clock readings kept (one a second)
  // Per flight frame: the longest ones are kept, the rest counted.
  size_t frame_kernels = 400, frame_copies = 64, frame_waits = 64;
};

// One flight frame to fill: its host window; `traced` false (CUPTI was off) gives no GPU part.
struct GpuPullFrame {
  int64_t frame = 0;
  int64_t begin_ns = 0, end_ns = 0;
  bool traced = false;
};
struct GpuPull {
  std::vector<std::optional<FlightGpu>> frames;  // one per GpuPullFrame
  std::vector<std::string> names;                // the record's kernel name table
};

class GpuRecordRing {
 public:
  explicit GpuRecordRing(GpuRingOptions options = {});

  // Producer (CUPTI's buffer thread); times on CUPTI's clock. `name` must stay valid for the
  // process (CUPTI's kernel names do): it is interned by address first.
  void add_kernel(const char* name, int64_t start, int64_t end, int step, uint32_t correlation);
  void add_copy(const GpuCopyRecord& c, uint32_t correlation);
  void add_wait(std::string_view what, int64_t start, int64_t end);
  void add_correlation(uint32_t correlation, int step);
  void add_dropped(int64_t n);

  // The tracer that fills the ring: flush(final) calls it, and it must deliver what CUPTI holds
  // (all of it when final), then call calibrate. Cleared with nullptr before the tracer goes.
  using Source = std::function<void(bool final)>;
  void set_source(Source source);
  bool has_source() const;
  void flush(bool final);
  // One reading of both clocks; `quiet`: CUPTI was not tracing, so every record up to the
  // reading has been delivered (otherwise only up to the newest record's end).
  void calibrate(ClockPair pair, bool quiet);

  int64_t to_host(int64_t cupti_ns) const;
  // Host time up to which every record has been delivered; 0 before the first calibration.
  int64_t delivered_until_ns() const;
  // Fills flight frames from the records inside their windows.
  GpuPull pull(const std::vector<GpuPullFrame>& frames) const;
  // Drops records that ended before `host_ns` (no flight record can claim them).
  void drop_before(int64_t host_ns);

  struct Counts {
    size_t kernels = 0, copies = 0, waits = 0, correlations = 0, names = 0;
    int64_t overwritten = 0, cupti_dropped = 0;
  };
  Counts counts() const;
  size_t memory_bytes() const;

  // A fixed-capacity FIFO: the oldest record gives way when it is full.
  template <typename T>
  struct Fifo {
    std::vector<T> buf;
    size_t head = 0, size = 0;  // head: the oldest
    int64_t overwritten = 0;
    void push(const T& v);
    T& at(size_t i) { return buf[(head + i) % buf.size()]; }
    const T& at(size_t i) const { return buf[(head + i) % buf.size()]; }
    void pop_front() {
      head = (head + 1) % buf.size();
      --size;
    }
  };
  struct Kernel {
    int64_t start = 0, end = 0;
    uint32_t name = 0, correlation = 0;
    int32_t step = -1;
  };
  struct Copy {
    int64_t start = 0, end = 0, bytes = 0;
    uint32_t correlation = 0;
    int32_t step = -1;
    GpuCopyKind kind = GpuCopyKind::kOther;
    GpuMemoryKind src = GpuMemoryKind::kUnknown, dst = GpuMemoryKind::kUnknown;
  };
  struct Wait {
    int64_t start = 0, end = 0;
    uint8_t what = 0;
  };
  struct Correlation {
    uint32_t id = 0;
    int32_t step = -1;
  };

 private:
  uint32_t intern(const char* name);
  int64_t to_host_locked(int64_t cupti_ns) const;

  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  GpuRingOptions opt_;
  mutable std::mutex mu_;
  Fifo<Kernel> kernels_;
  Fifo<Copy> copies_;
  Fifo<Wait> waits_;
  Fifo<Correlation> correlations_;
  std::vector<std::string> names_;
  std::unordered_map<const char*, uint32_t> by_address_;
  std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> by_name_;
  std::vector<ClockPair> clocks_;
  int64_t newest_end_ = 0;  // CUPTI clock
  int64_t delivered_ns_ = 0;
  int64_t cupti_dropped_ = 0;

  mutable std::mutex source_mu_;  // held while the source runs, so it cannot go meanwhile
  Source source_;
};

}  // namespace ys
