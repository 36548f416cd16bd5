// `yolo report serve dir=<run>/profile port=8080`, and serve=True after a profiled run.
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#ifdef YS_HAVE_SERVER
#include "server/report_server.h"
#endif

namespace ys {

#ifdef YS_HAVE_SERVER
namespace {

// allowed_hosts=a.lan,b.lan:8080 -> {"a.lan", "b.lan:8080"}; spaces around names are dropped.
std::vector<std::string> split_hosts(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace
#endif

int run_report_serve_dir(const std::string& dir, [[maybe_unused]] const Config& c) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "report.html")) {
    fail(ErrorKind::kNotFound, "dir=", dir,
         ": no report.html there (a profile folder is <run>/profile)");
  }
#ifdef YS_HAVE_SERVER
  ReportServerOptions options;
  options.allowed_hosts = split_hosts(c.get_string("allowed_hosts"));
  ReportServer server(dir, c.get_string("host"), c.get_int("port"), options);
  if (!server.loopback_only()) {
    log_warn("host=", server.host(), " lets anyone who can reach port ", server.port(),
             " of this machine read the reports in ", dir,
             ": the server has no token or TLS yet. To keep them private, serve on host=127.0.0.1 ",
             "(the default) and open them through an SSH tunnel: ssh -L ", server.port(),
             ":127.0.0.1:", server.port(), " <this machine>");
  }
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
