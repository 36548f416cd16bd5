// GpuTrace to and from JSON, every field, so that a trace recorded on a GPU machine can be read
// back on a machine without one (test fixtures, re-analysis). Absent NVML figures are written as
// null. Reading is strict about types and lenient about absence: a field of the wrong type is a
// ys::Error naming its path ("kernels[3].start_ns"), while a missing field keeps its default, so
// fixtures written before a field was added still load.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "profiler/gpu_trace.h"

namespace ys {

// nlohmann's conversion hooks: json j = trace; trace = j.get<GpuTrace>().
void to_json(nlohmann::json& j, const GpuTrace& trace);
void from_json(const nlohmann::json& j, GpuTrace& trace);

// Whole files; a file that cannot be read or parsed is a ys::Error naming it.
void write_gpu_trace(const std::string& path, const GpuTrace& trace);
GpuTrace read_gpu_trace(const std::string& path);

}  // namespace ys
