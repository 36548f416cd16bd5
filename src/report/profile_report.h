// The files of a profiled run: summary.json (report/summary_json.h), trace.json (its events built
// by analysis/chrome_trace.h), layers.csv (report/layers_csv.h) and report.html
// (report/html_report.h), written together into one folder; the console's lines are in
// report/console_summary.h. This header brings in every writer, for the code that runs them all.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "analysis/chrome_trace.h"
#include "report/console_summary.h"
#include "report/layers_csv.h"
#include "report/report_figures.h"
#include "report/summary_json.h"

namespace ys {

// Writes summary.json, trace.json, layers.csv and report.html into `dir` (created if needed).
// Throws ys::Error(kIo) naming the file that could not be written.
void write_profile_reports(const std::string& dir, const nlohmann::json& summary,
                           const nlohmann::json& trace, const std::string& csv);

}  // namespace ys
