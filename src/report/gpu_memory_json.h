// Device memory over time as summary.json carries it (docs/PROFILE_SCHEMA.md, `gpu.memory` and
// `long.gpu_memory`): per device, columns of the timeline's points (seconds, MiB used, ours,
// others' total; null where NVML did not say) and the other processes seen, with the model's
// planned needs beside them so the page can draw what we asked for against what the device holds.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <vector>

#include "analysis/gpu_memory.h"

namespace ys {

struct GpuMemoryPlan {
  std::optional<int64_t> arena_bytes, weights_bytes, workspace_bytes;  // unknown when empty
};

nlohmann::json gpu_memory_json(const std::vector<GpuMemoryTimeline>& timelines,
                               const GpuMemoryPlan& plan);

}  // namespace ys
