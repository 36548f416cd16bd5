// `yolo report serve dir=<run>/profile port=8080`, `yolo report serve file=<run>/profile.ysr`
// (decrypted in memory only), and serve=True after a profiled run. Beyond loopback the server
// asks for a token (token=, YOLOSCOPE_SERVER_TOKEN, or one generated and printed here), and
// tls_cert= with tls_key= make it HTTPS.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "report/report_crypto.h"
#include "report/report_key.h"
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

// token= wins over YOLOSCOPE_SERVER_TOKEN; "" when neither is set.
std::string given_token(const Config& c) {
  if (std::string t = c.get_string("token"); !t.empty()) return t;
  const char* env = std::getenv("YOLOSCOPE_SERVER_TOKEN");
  return env ? env : "";
}

ReportServerOptions server_options(const Config& c) {
  ReportServerOptions options;
  options.allowed_hosts = split_hosts(c.get_string("allowed_hosts"));
  options.token = given_token(c);
  options.generate_token = true;
  options.tls_cert = c.get_string("tls_cert");
  options.tls_key = c.get_string("tls_key");
  return options;
}

int serve(ReportServer& server, const std::string& what, const Config& c) {
  if (!server.token().empty() && given_token(c).empty()) {
    // Generated for this run: the user has no other way to learn it.
    std::cout << "Access token: " << server.token() << "\n"
              << "Open " << server.url() << "?token=" << server.token()
              << " once in a browser (it becomes a cookie), or send 'Authorization: Bearer "
              << "<token>'. Pass token= or YOLOSCOPE_SERVER_TOKEN to choose one.\n";
  }
  if (!server.loopback_only() && !server.tls()) {
    log_warn("host=", server.host(), " serves ", what, " without TLS: the token and the report ",
             "cross the network in clear text. Pass tls_cert= and tls_key=, or serve on ",
             "host=127.0.0.1 (the default) through an SSH tunnel: ssh -L ", server.port(),
             ":127.0.0.1:", server.port(), " <this machine>");
  }
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
