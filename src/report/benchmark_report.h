// What `yolo benchmark` and `yolo compare` print and write: the benchmark's per-stage table
// (median, p90, p99, fps) and a comparison in four forms, a console table, markdown for a pull
// request comment, JUnit XML (one test case per stage or layer; CI systems show it natively) and
// JSON. Every form carries the same figures: medians, the change with its interval, the verdict.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analysis/benchmark_compare.h"

namespace ys {

std::string benchmark_console_table(const BenchmarkRecord& record);

// `title` names the two sides ("baseline=a.json current=b.json").
std::string comparison_table(const ComparisonResult& r, const std::string& title);
std::string comparison_markdown(const ComparisonResult& r, const std::string& title);
std::string comparison_junit(const ComparisonResult& r, const std::string& title);
nlohmann::json comparison_json(const ComparisonResult& r, const std::string& title);

// "REGRESSION: preprocess +20.1%, ..." or "no regression (...)": the one-line outcome.
std::string comparison_outcome(const ComparisonResult& r);

}  // namespace ys
