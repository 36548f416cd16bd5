// The self-contained HTML report: one report.html that opens offline (file://, no network, no
// CDN) and lets an engineer get the gist of a profile in a minute: a one-line verdict, the
// advisor's findings, the stage breakdown, an interactive timeline, the layer table, memory,
// latency, CPU and the environment. summary.json and trace.json (docs/PROFILE_SCHEMA.md) are
// embedded in the page as JSON; the page's HTML, CSS and JavaScript come from src/report/assets
// and are compiled into the library, so a report needs no files beside the binary. Opening the
// page with #selftest appended runs a self-check that writes a JSON verdict into
// <pre id="selftest"> (the tests read it through headless Chromium).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace ys {

// The report page for a profile. Missing or empty fields are shown as such, never an error.
std::string render_html_report(const nlohmann::json& summary, const nlohmann::json& trace);

// Writes render_html_report() to `path` through a temporary file beside it and a rename, so a
// failed write never leaves half a report. Throws ys::Error (kIo) naming the path on failure.
void write_html_report(const std::string& path, const nlohmann::json& summary,
                       const nlohmann::json& trace);

}  // namespace ys
