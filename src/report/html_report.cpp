#include "report/html_report.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>

#include "core/error.h"
#include "core/file_io.h"
#include "report/long_run_page.h"

namespace ys {

namespace report_assets {
extern const std::string_view kPage;
}

namespace {

constexpr std::string_view kSummaryMarker = "@YS_SUMMARY_JSON@";
constexpr std::string_view kTraceMarker = "@YS_TRACE_JSON@";

// JSON for a <script type="application/json"> block. Every '<' becomes \u003c, which JSON.parse
// reads back unchanged, so no string in the data ("</script>", "<!--") can end the block early.
// Invalid UTF-8 (a file name from a foreign locale) is replaced instead of failing the report.
std::string script_safe_json(const nlohmann::json& j) {
  const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + text.size() / 64);
  for (char c : text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string render_html_report(const nlohmann::json& summary, const nlohmann::json& trace) {
  const std::string_view page = report_assets::kPage;
  const size_t s = page.find(kSummaryMarker);
  const size_t t = page.find(kTraceMarker);
  YS_CHECK(s != std::string_view::npos && t != std::string_view::npos && s < t,
           "the report template lacks its data markers");
  // Split at the markers rather than search-and-replace, so a marker-like string inside the
  // summary cannot be replaced by the trace.
  std::string out;
  out.append(page.substr(0, s));
  out += script_safe_json(compact_long_run_for_page(summary));
  out.append(page.substr(s + kSummaryMarker.size(), t - s - kSummaryMarker.size()));
  out += script_safe_json(trace);
  out.append(page.substr(t + kTraceMarker.size()));
  return out;
}

void write_html_report(const std::string& path, const nlohmann::json& summary,
                       const nlohmann::json& trace) {
  write_file_atomic(path, render_html_report(summary, trace),
                    cat("cannot write the HTML report ", path));
}

}  // namespace ys
