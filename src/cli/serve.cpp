// `yolo report serve dir=<run>/profile port=8080`, and serve=True after a profiled run.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#ifdef YS_HAVE_SERVER
#include "server/report_server.h"
#endif

namespace ys {

int run_report_serve_dir(const std::string& dir, [[maybe_unused]] const Config& c) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "report.html")) {
    fail(ErrorKind::kNotFound, "dir=", dir,
         ": no report.html there (a profile folder is <run>/profile)");
  }
#ifdef YS_HAVE_SERVER
  ReportServer server(dir, c.get_string("host"), c.get_int("port"));
  server.wait();
  return kExitOk;
#else
  fail(ErrorKind::kUnsupported,
       "this build has no report server (cpp-httplib was not found); open ", dir,
       "/report.html directly");
#endif
}

int run_report_serve(const Config& c) {
  return run_report_serve_dir(c.get_string("dir"), c);
}

}  // namespace ys
