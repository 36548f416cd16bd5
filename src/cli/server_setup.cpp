#include "cli/server_setup.h"

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <vector>

#include "core/log.h"

namespace ys {
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

}  // namespace

ReportServerOptions server_options(const Config& c) {
  ReportServerOptions options;
  options.allowed_hosts = split_hosts(c.get_string("allowed_hosts"));
  options.token = given_token(c);
  options.generate_token = true;
  options.tls_cert = c.get_string("tls_cert");
  options.tls_key = c.get_string("tls_key");
  return options;
}

void announce_server(const ReportServer& server, const std::string& what,
                     const std::string& open_url, const Config& c) {
  if (!server.token().empty() && given_token(c).empty()) {
    // Generated for this run: the user has no other way to learn it.
    std::cout << "Access token: " << server.token() << "\n"
              << "Open " << open_url << "?token=" << server.token()
              << " once in a browser (it becomes a cookie), or send 'Authorization: Bearer "
              << "<token>'. Pass token= or YOLOSCOPE_SERVER_TOKEN to choose one.\n";
  }
  if (!server.loopback_only() && !server.tls()) {
    log_warn("host=", server.host(), " serves ", what, " without TLS: the token and the report ",
             "cross the network in clear text. Pass tls_cert= and tls_key=, or serve on ",
             "host=127.0.0.1 (the default) through an SSH tunnel: ssh -L ", server.port(),
             ":127.0.0.1:", server.port(), " <this machine>");
  }
}

}  // namespace ys
