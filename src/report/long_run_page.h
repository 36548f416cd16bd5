// The long run's per-second buckets as report.html embeds them. summary.json keeps every column
// as JSON numbers (docs/PROFILE_SCHEMA.md, `long.buckets`); a 24-hour run is 86,400 of them per
// statistic and stage, tens of MB. The page draws only each stage's p50 and p99 and the end to
// end max, so the report stores those columns as integer steps of 1 µs (each value first rounded
// to 3 significant digits) from the value before, with null runs listed apart: about a third of
// the size, and one self-contained file stays well under 20 MB for a day.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace ys {

// `summary` with `long.buckets` replaced by `long.buckets_page` (the form above); the summary
// unchanged when it has no buckets. report.js's longrun module decodes it (decodeColumn).
nlohmann::json compact_long_run_for_page(const nlohmann::json& summary);

}  // namespace ys
