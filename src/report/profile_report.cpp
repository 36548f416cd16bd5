#include "report/profile_report.h"

#include <filesystem>
#include <system_error>

#include "core/error.h"
#include "core/file_io.h"
#include "report/html_report.h"

namespace ys {
namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
  write_file_atomic(path.string(), text, cat("cannot write '", path.string(), "'"));
}

}  // namespace

void write_profile_reports(const std::string& dir, const nlohmann::json& summary,
                           const nlohmann::json& trace, const std::string& csv) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(ErrorKind::kIo, "cannot create report folder '", dir, "': ", ec.message());
  const std::filesystem::path d(dir);
  write_text(d / "summary.json", summary.dump(1));
  write_text(d / "trace.json", trace.dump());
  write_text(d / "layers.csv", csv);
  write_html_report((d / "report.html").string(), summary, trace);
}

}  // namespace ys
