// How the JSON reports write a measured figure: statistics as one rounded object, and null, not
// zero, for what was not measured, so a reader can tell "nothing recorded" from "took no time".
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/statistics.h"

namespace ys {

// median, mean, p90, p99, max and min rounded to `digits` decimals, and the count.
nlohmann::json stats_json(const Stats& s, int digits = 4);
// null for statistics of nothing (kernel sizes in events mode), else stats_json.
nlohmann::json stats_or_null(const Stats& s, int digits = 4);
// null for NaN (a figure NVML could not give), else the rounded number.
nlohmann::json number_or_null(double x, int digits);

}  // namespace ys
