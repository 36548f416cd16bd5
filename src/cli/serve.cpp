// `yolo report serve dir=<run>/profile port=8080` and `yolo report serve file=<run>/profile.ysr`
// (decrypted in memory only). Beyond loopback the server asks for a token (token=,
// YOLOSCOPE_SERVER_TOKEN, or one generated and printed), and tls_cert= with tls_key= make it
// HTTPS (cli/server_setup.h). A run's own server, serve=True, is cli/live_watch.h's.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "core/file_io.h"
#include "report/report_crypto.h"
#include "report/report_key.h"
#ifdef YS_HAVE_SERVER
#include "cli/server_setup.h"
#endif

namespace ys {

#ifdef YS_HAVE_SERVER
namespace {

int serve(ReportServer& server, const std::string& what, const Config& c) {
  announce_server(server, what, server.url(), c);
  server.wait();
  return kExitOk;
}

}  // namespace
#endif

int run_report_serve_dir(const std::string& dir, [[maybe_unused]] const Config& c) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "report.html")) {
    fail(ErrorKind::kNotFound, "dir=", dir,
         ": no report.html there (a profile folder is <run>/profile)");
  }
#ifdef YS_HAVE_SERVER
  ReportServer server(dir, c.get_string("host"), c.get_int("port"), server_options(c));
  return serve(server, "the reports in " + dir, c);
#else
  fail(ErrorKind::kUnsupported,
       "this build has no report server (cpp-httplib was not found); open ", dir,
       "/report.html directly");
#endif
}

int run_report_serve_file(const std::string& file, [[maybe_unused]] const Config& c) {
  const ReportKey key = report_key_from(c.get_string("report_key_file"),
                                        [](const char* n) { return std::getenv(n); });
  FileMap files = open_report(read_file_bytes(file), key, file);
  if (!files.count("report.html"))
    fail(ErrorKind::kBadInput, file, " holds no report.html; it is not a profile report");
#ifdef YS_HAVE_SERVER
  ReportServerOptions options = server_options(c);
  options.files = std::move(files);
  ReportServer server("", c.get_string("host"), c.get_int("port"), options);
  return serve(server, "the report in " + file, c);
#else
  fail(ErrorKind::kUnsupported, "this build has no report server (cpp-httplib was not found); ",
       "decrypt ", file, " with 'yolo report decrypt' and open its report.html");
#endif
}

int run_report_serve(const Config& c) {
  if (!c.get_string("file").empty()) return run_report_serve_file(c.get_string("file"), c);
  return run_report_serve_dir(c.get_string("dir"), c);
}

}  // namespace ys
