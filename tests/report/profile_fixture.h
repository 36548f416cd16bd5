// A realistic profile to feed the report: summary.json and trace.json as the profiler writes
// them (docs/PROFILE_SCHEMA.md) for YOLOv8n at 640x640 on a CPU, with deterministic timings. The
// report tests render it, and also a sparse variant with the optional parts missing.
#pragma once

#include <nlohmann/json.hpp>

namespace ys::testing {

struct ProfileFixture {
  nlohmann::json summary;
  nlohmann::json trace;
};

// `frames` measured frames; layer and op counts follow YOLOv8n (23 layers).
ProfileFixture yolov8n_profile(int frames = 12);

// What a run with nothing optional looks like: no advice, cpu, memory series, histogram, gpu,
// environment or trace events, and some stats objects missing.
ProfileFixture sparse_profile();

}  // namespace ys::testing
