// CUPTI activity tracing for GpuProfiler's detailed mode. The tracer is the backend's
// DeviceObserver: while a traced frame runs eagerly it pushes an external correlation id per
// execution step, so each launch's correlation id names its step; while a CUDA Graph is captured
// it maps each created graph node (and, at instantiation, each clone) to the step being enqueued,
// so kernels replayed from the graph, which all share one cudaGraphLaunch correlation, are
// attributed through their graph node id. Activity kinds are enabled only between begin_frame and
// end_frame, so untraced frames run without CUPTI's per-launch cost. CUPTI allows one subscriber
// per process: a second tracer, or a run under Nsight, reports itself unavailable; so does a build
// without CUPTI. The record attribution is a pure function, tested without a GPU. A long run
// streams the records into a GpuRecordRing instead, tracing only the frames it arms.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "profiler/gpu_record_ring.h"
#include "profiler/gpu_trace.h"
#include "runtime/backend.h"

namespace ys {

// The activity records as CUPTI delivered them, times on CUPTI's clock; frames and steps are
// left for attribute_cupti_records, which needs every buffer and the graph-node map first.
struct CuptiRawTrace {
  std::vector<GpuKernelRecord> kernels;
  std::vector<uint64_t> kernel_nodes;  // graph node id per kernel, 0 when launched eagerly
  std::vector<GpuCopyRecord> copies;
  std::vector<uint64_t> copy_nodes;
  std::vector<GpuSyncRecord> syncs;
  std::vector<GpuApiRecord> api;
  std::unordered_map<uint64_t, int> external_steps;  // correlation id -> step pushed around it
  int64_t dropped = 0;
};

struct CuptiFrameWindow {
  int64_t frame = -1;
  int64_t begin_ns = 0, end_ns = 0;  // host clock (now_ns)
};

// Maps CUPTI's clock to the host's through the two calibration readings, demangles kernel names,
// gives every record its step (external correlation for eager launches, graph node for replayed
// ones) and its frame (the window holding its launching API call, else its own start), marks API
// calls that launched a kernel, and stores the result in `out` sorted by start time.
void attribute_cupti_records(CuptiRawTrace raw, const std::unordered_map<uint64_t, int>& node_steps,
                             const std::vector<CuptiFrameWindow>& frames, ClockPair first,
                             ClockPair last, GpuTrace& out);

// "ys::cuda::conv(float const*)" from "_ZN2ys4cuda4convEPKf"; names that are not mangled C++ come
// back unchanged.
std::string demangle(const std::string& name);

class CuptiTracer final : public DeviceObserver {
 public:
  // Subscribes to CUPTI; never throws: available() says whether it worked and why() why not.
  explicit CuptiTracer(int device);
  ~CuptiTracer() override;
  CuptiTracer(const CuptiTracer&) = delete;
  CuptiTracer& operator=(const CuptiTracer&) = delete;

  bool available() const;
  const std::string& why() const;

  void begin_frame(int64_t index);  // enables the activity kinds
  void end_frame();                 // disables them

  void on_enqueue_begin(size_t step) override;
  void on_enqueue_end(size_t step) override;

  // Flushes CUPTI and fills the CUPTI part of `trace` (kernels, copies, syncs, api, dropped
  // records, clock mapping, cupti/cupti_why). Call once, after the last frame.
  void finish(GpuTrace& trace);

  // Long runs: records go to `ring` as they arrive (kernels, copies, waits and eager launches'
  // steps; API records are left out) rather than to finish()'s trace, and the ring's flush
  // reaches CUPTI through this tracer. Call before the first traced frame.
  void stream_to(std::shared_ptr<GpuRecordRing> ring);
  // Long runs: the activity kinds on or off, calling CUPTI only when that changes, so a run of
  // traced frames pays for the switch once.
  void set_tracing(bool on);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ys
