// trace.json in the Chrome Trace Event Format (chrome://tracing, Perfetto, the report's
// timeline): the host's pipeline stages, layers and ops of every traced frame, CPU and memory
// counters, and with a GPU trace the device's own lanes. Built here from the collectors' records
// and the layers of the graph (as ONNX Runtime's profiler emits its own trace events), so that
// report/ only writes the finished JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "analysis/profile_analysis.h"
#include "profiler/gpu_trace.h"
#include "profiler/profiler.h"
#include "profiler/resource_sampler.h"

namespace ys {

// With `gpu`, the trace gains one process per device with a lane per stream (kernels nested
// under their layer's span) and a copies lane per stream, host lanes for device waits and CUDA
// API calls, and NVML counters.
nlohmann::json chrome_trace(const Profiler& profiler, const Executor& executor,
                            const std::vector<ResourceSample>& samples,
                            const GpuTrace* gpu = nullptr);
// Those GPU events alone (analysis/gpu_trace_events.cpp). `layers` (group_layers of the executor's
// graph) name the execution steps; `frames` place span times of events mode, which have no start
// of their own, back to back from each frame's inference begin; times are relative to
// `start_ns`.
nlohmann::json gpu_trace_events(const GpuTrace& gpu, const std::vector<LayerResult>& layers,
                                const std::vector<FrameRecord>& frames, int64_t start_ns);

// decoder=nvdec (issue 20): the read stage's spans named "decode", as name_gpu_decode_stage
// names the stage in the figures.
void name_gpu_decode_spans(nlohmann::json& trace);

}  // namespace ys
