#include "report/long_run_page.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace ys {
namespace {

using nlohmann::json;

constexpr double kUnitMs = 0.001;

// 3 significant digits: below the noise of any frame time, and steps between neighbours become
// short integers.
int64_t to_units(double ms) {
  if (ms == 0.0 || !std::isfinite(ms)) return 0;
  const double digits = std::ceil(std::log10(std::fabs(ms)));
  const double scale = std::pow(10.0, 3.0 - digits);
  const double rounded = std::round(ms * scale) / scale;
  return std::llround(rounded / kUnitMs);
}

// {"d": steps from the previous non-null value, "nulls": [[start, length], ...]}. A null repeats
// the previous value (a step of 0) so that the steps stay short.
json encode_column(const json& values, bool in_ms) {
  json d = json::array(), nulls = json::array();
  int64_t prev = 0;
  int64_t null_start = -1;
  const int64_t n = static_cast<int64_t>(values.size());
  for (int64_t i = 0; i < n; ++i) {
    const json& v = values[static_cast<size_t>(i)];
    if (!v.is_number()) {
      d.push_back(0);
      if (null_start < 0) null_start = i;
      continue;
    }
    if (null_start >= 0) {
      nulls.push_back({null_start, i - null_start});
      null_start = -1;
    }
    const int64_t now = in_ms ? to_units(v.get<double>()) : std::llround(v.get<double>());
    d.push_back(now - prev);
    prev = now;
  }
  if (null_start >= 0) nulls.push_back({null_start, n - null_start});
  return {{"d", std::move(d)}, {"nulls", std::move(nulls)}};
}

}  // namespace

json compact_long_run_for_page(const json& summary) {
  const json* buckets = nullptr;
  if (summary.is_object() && summary.contains("long") && summary["long"].is_object() &&
      summary["long"].contains("buckets") && summary["long"]["buckets"].is_object())
    buckets = &summary["long"]["buckets"];
  if (!buckets || !buckets->contains("count") || !(*buckets)["count"].is_array()) return summary;

  const json& b = *buckets;
  json page = {{"n", b["count"].size()},
               {"width_s", b.value("width_s", 1.0)},
               {"unit_ms", kUnitMs},
               {"count", encode_column(b["count"], false)}};
  if (b.contains("spike_frames") && b["spike_frames"].is_array())
    page["spike_frames"] = encode_column(b["spike_frames"], false);
  json stages = json::object();
  if (b.contains("stages") && b["stages"].is_object()) {
    for (const auto& [name, st] : b["stages"].items()) {
      if (!st.is_object()) continue;
      json out = json::object();
      for (const char* key : {"p50", "p99"})
        if (st.contains(key) && st[key].is_array()) out[key] = encode_column(st[key], true);
      if (name == "latency" && st.contains("max") && st["max"].is_array())
        out["max"] = encode_column(st["max"], true);
      stages[name] = std::move(out);
    }
  }
  page["stages"] = std::move(stages);

  json result = summary;
  result["long"].erase("buckets");
  result["long"]["buckets_page"] = std::move(page);
  return result;
}

}  // namespace ys
