// The benchmark file: a BenchmarkRecord as JSON (schema "yoloscope-benchmark", version 1,
// docs/BENCHMARK.md). Reading checks every field it uses and names the file and the field when
// one is missing or of the wrong type, so a hand-edited or truncated baseline is a clear error.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analysis/benchmark_compare.h"

namespace ys {

inline constexpr int kBenchmarkSchemaVersion = 1;

nlohmann::json benchmark_to_json(const BenchmarkRecord& record);
// Throws ys::Error(kInvalidArgument) starting with `name` (the file) on a bad document.
BenchmarkRecord benchmark_from_json(const nlohmann::json& j, const std::string& name);

// Written atomically; ys::Error(kIo) when it cannot be.
void write_benchmark_file(const std::string& path, const BenchmarkRecord& record);
// ys::Error(kInvalidArgument) when the file is missing, unreadable, not JSON or not a benchmark.
BenchmarkRecord read_benchmark_file(const std::string& path);

}  // namespace ys
