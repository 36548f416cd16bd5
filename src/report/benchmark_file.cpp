#include "report/benchmark_file.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"

namespace ys {
namespace {

using nlohmann::json;

// Times to 0.1 us: finer than the host clock resolves, and a third of the file's size.
json rounded(const std::vector<double>& ms) {
  json a = json::array();
  for (double v : ms) a.push_back(std::round(v * 1e4) / 1e4);
  return a;
}

json series_json(const std::vector<BenchmarkSeries>& series) {
  json a = json::array();
  for (const BenchmarkSeries& s : series) a.push_back({{"name", s.name}, {"ms", rounded(s.ms)}});
  return a;
}

[[noreturn]] void bad(const std::string& name, const std::string& field, const std::string& why) {
  fail(ErrorKind::kInvalidArgument, name, ": ", field, " ", why,
       " (not a yoloscope benchmark file? see docs/BENCHMARK.md)");
}

const json& member(const json& j, const char* key, json::value_t type, const std::string& name,
                   const std::string& where) {
  const std::string field = where.empty() ? key : where + "." + key;
  const auto it = j.find(key);
  if (it == j.end()) bad(name, field, "is missing");
  const bool ok = it->type() == type || (type == json::value_t::number_float && it->is_number());
  if (!ok)
    bad(name, field,
        std::string("should be ") + json(type).type_name() + ", is " + it->type_name());
  return *it;
}

std::vector<double> numbers(const json& a, const std::string& name, const std::string& field) {
  std::vector<double> out;
  out.reserve(a.size());
  for (const json& v : a) {
    if (!v.is_number()) bad(name, field, "holds a non-number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < 0) bad(name, field, "holds a negative or non-finite time");
    out.push_back(d);
  }
  return out;
}

std::map<std::string, std::string> strings(const json& o, const std::string& name,
                                           const std::string& field) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : o.items()) {
    if (!v.is_string()) bad(name, field + "." + k, "should be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::vector<BenchmarkSeries> series_from(const json& a, const std::string& name,
                                         const std::string& field) {
  std::vector<BenchmarkSeries> out;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string where = field + "[" + std::to_string(i) + "]";
    if (!a[i].is_object()) bad(name, where, "should be an object");
    BenchmarkSeries s;
    s.name = member(a[i], "name", json::value_t::string, name, where).get<std::string>();
    s.ms = numbers(member(a[i], "ms", json::value_t::array, name, where), name, where + ".ms");
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

json benchmark_to_json(const BenchmarkRecord& r) {
  json j;
  j["schema"] = "yoloscope-benchmark";
  j["version"] = kBenchmarkSchemaVersion;
  j["created"] = r.created;
  j["machine"] = r.machine;
  j["workload"] = r.workload;
  j["calibration"] = {{"method", r.calibration_method}, {"ms", rounded(r.calibration_ms)}};
  j["batch"] = r.batch;
  j["frames"] = r.frames;
  j["stages"] = series_json(r.stages);
  j["layers"] = series_json(r.layers);
  j["notes"] = r.notes;
  return j;
}

BenchmarkRecord benchmark_from_json(const json& j, const std::string& name) {
  if (!j.is_object()) bad(name, "the document", "should be a JSON object");
  const auto schema = j.find("schema");
  if (schema == j.end() || *schema != "yoloscope-benchmark")
    bad(name, "schema", "should be \"yoloscope-benchmark\"");
  const int version = member(j, "version", json::value_t::number_unsigned, name, "").get<int>();
  if (version != kBenchmarkSchemaVersion)
    fail(ErrorKind::kInvalidArgument, name, ": benchmark schema version ", version,
         " is not the version this yolo reads (", kBenchmarkSchemaVersion,
         "): re-run yolo benchmark with this build");
  BenchmarkRecord r;
  r.created = member(j, "created", json::value_t::string, name, "").get<std::string>();
  r.machine = strings(member(j, "machine", json::value_t::object, name, ""), name, "machine");
  r.workload = strings(member(j, "workload", json::value_t::object, name, ""), name, "workload");
  // A copy: g++ 13 takes a reference bound to member()'s result for a dangling one.
  const json cal = member(j, "calibration", json::value_t::object, name, "");
  r.calibration_method =
      member(cal, "method", json::value_t::string, name, "calibration").get<std::string>();
  r.calibration_ms =
      numbers(member(cal, "ms", json::value_t::array, name, "calibration"), name, "calibration.ms");
  r.batch = member(j, "batch", json::value_t::number_unsigned, name, "").get<int>();
  r.frames = member(j, "frames", json::value_t::number_unsigned, name, "").get<int64_t>();
  r.stages = series_from(member(j, "stages", json::value_t::array, name, ""), name, "stages");
  r.layers = series_from(member(j, "layers", json::value_t::array, name, ""), name, "layers");
  if (const auto notes = j.find("notes"); notes != j.end() && notes->is_array())
    for (const json& n : *notes)
      if (n.is_string()) r.notes.push_back(n.get<std::string>());
  return r;
}

void write_benchmark_file(const std::string& path, const BenchmarkRecord& record) {
  write_file_atomic(path, benchmark_to_json(record).dump(1) + "\n",
                    "cannot write the benchmark file " + path);
}

BenchmarkRecord read_benchmark_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kInvalidArgument, path, ": cannot read the benchmark file");
  std::stringstream text;
  text << in.rdbuf();
  const json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(ErrorKind::kInvalidArgument, path, ": not valid JSON");
  return benchmark_from_json(j, path);
}

}  // namespace ys
