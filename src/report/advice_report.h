// The advisor's findings and the input figures as the reports hold them: summary.json's `advice`
// and `input` objects (docs/PROFILE_SCHEMA.md, docs/ADVISOR.md) and the console's advice lines.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/advisor.h"
#include "analysis/input_stats.h"

namespace ys {

// The advice as summary.json holds it.
nlohmann::json advice_json(const std::vector<Finding>& findings);
// summary.json's `input` object.
nlohmann::json input_json(const InputStats& input, bool synthetic_weights);
// One line per finding, at most `max` of them, for the console.
std::string advice_console(const std::vector<Finding>& findings, size_t max = 5);

}  // namespace ys
