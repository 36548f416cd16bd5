// The HTTP server's settings from the command line (host=, port=, allowed_hosts=, token= or
// YOLOSCOPE_SERVER_TOKEN, tls_cert=, tls_key=), one reading for `yolo report serve` and for a
// run's live server (serve=True, metrics=True), and what the user must be told once it listens:
// a token generated for them, and a warning when it is reachable from the network without TLS.
#pragma once

#include <string>

#include "cli/args.h"
#include "server/report_server.h"

namespace ys {

ReportServerOptions server_options(const Config& c);
// `what` names what is served, for the warning ("the reports in runs/detect/predict/profile");
// `open_url` is the page to open with the token.
void announce_server(const ReportServer& server, const std::string& what,
                     const std::string& open_url, const Config& c);

}  // namespace ys
