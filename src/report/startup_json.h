// summary.json's "startup" (docs/PROFILE_SCHEMA.md): where the process's start-up went up to its
// first result, as core/startup_timeline recorded it; null where the run recorded none (a profile
// taken through the Python module or a test).
#pragma once

#include <nlohmann/json.hpp>

#include "core/startup_timeline.h"

namespace ys {

nlohmann::json startup_json(const StartupBreakdown& b);

}  // namespace ys
