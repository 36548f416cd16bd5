#include "server/report_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <semaphore.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/error.h"
#include "server/access_gate.h"
#include "server/bounded_server.h"
#include "server/host_allowlist.h"
#include "server/security_headers.h"

namespace ys {

namespace fs = std::filesystem;

namespace {

std::string content_type_for(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".csv", "text/csv; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".log", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".mp4", "video/mp4"},
      {".avi", "video/x-msvideo"},
  };
  for (const auto& [e, type] : kTypes)
    if (ext == e) return type;
  return "application/octet-stream";
}

// True when `p` is `dir` or lies below it, compared component by component so that /a/bc is not
// taken for a child of /a/b. Both paths must be canonical.
bool is_within(const fs::path& dir, const fs::path& p) {
  auto [d, q] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  return d == dir.end();
}

bool is_loopback_address(const std::string& ip) {
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool is_wildcard_address(const std::string& ip) {
  return ip == "0.0.0.0" || ip == "::";
}

std::string this_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

// The Host header as shown in a message: printable ASCII only and not too long.
std::string quoted_host(const std::string& host) {
  std::string out;
  for (char c : host.substr(0, 100)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return "'" + out + "'";
}

// The decoded request path as a same-origin Location: percent-encoded again (no CR or LF reaches
// the header), and never starting with "//", which a browser would take for another host.
std::string local_location(const std::string& path) {
  static const char* digits = "0123456789ABCDEF";
  std::string out = "/";
  for (unsigned char c : path.substr(path.find_first_not_of('/') == std::string::npos
                                         ? path.size()
                                         : path.find_first_not_of('/'))) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

// Signals reach wait() through a semaphore because sem_post is one of the few calls that are safe
// inside a signal handler.
sem_t g_signal_sem;
std::once_flag g_signal_sem_once;

extern "C" void on_stop_signal(int) {
  sem_post(&g_signal_sem);
}

}  // namespace

struct ReportServer::Impl {
  explicit Impl(const ConnectionLimits& limits) : server(limits) {}

  fs::path root;
  std::string host;
  int port = 0;
  BoundedServer server;
  std::unique_ptr<HostAllowlist> hosts;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  struct Route {
    std::string content_type;
    ContentFn fn;
  };
  std::mutex routes_mutex;
  std::map<std::string, Route> routes;
  std::map<std::string, std::string> files;  // in memory, when there is no root
  std::unique_ptr<AccessGate> gate;          // null: no token
  std::string token;

  // A copy, so that the callback runs without the lock and a route can change meanwhile.
  std::optional<Route> route(const std::string& path) {
    std::lock_guard<std::mutex> lock(routes_mutex);
    const auto it = routes.find(path);
    if (it == routes.end()) return std::nullopt;
    return it->second;
  }

  // Maps a decoded request path onto a regular file inside root, or returns an empty path.
  fs::path resolve(const std::string& request_path) const {
    if (root.empty() || request_path.empty() || request_path.front() != '/') return {};
    if (request_path.find('\0') != std::string::npos) return {};
    const fs::path rel(request_path.substr(1));
    // "//etc/passwd" would make root / rel the absolute /etc/passwd.
    if (rel.empty() || rel.is_absolute()) return {};
    for (const auto& part : rel)
      if (part == "..") return {};
    std::error_code ec;
    const fs::path full = fs::weakly_canonical(root / rel, ec);
    if (ec || !is_within(root, full)) return {};
    if (!fs::is_regular_file(full, ec)) return {};
    return full;
  }

  // Answers 400 or 421 and returns false when the request does not name this server.
  bool check_host(const httplib::Request& req, httplib::Response& res) const {
    if (!req.has_header("Host")) {
      if (req.version == "HTTP/1.0") return true;  // no browser sends that, so no rebinding
      res.status = 400;
      res.set_content("400 bad request: no Host header\n", "text/plain; charset=utf-8");
      return false;
    }
    const std::string value = req.get_header_value("Host");
    if (hosts->allows(value)) return true;
    res.status = 421;
    res.set_content(
        cat("421 misdirected request: this report server does not answer to Host ",
            quoted_host(value),
            ", only to localhost, 127.0.0.1, [::1] and the address it is bound ", "to, on port ",
            port, ". A web page can reach a local server under a name of its own ",
            "(DNS rebinding), so other names are refused. To open the reports under this name, ",
            "start the server with allowed_hosts=<name>.\n"),
        "text/plain; charset=utf-8");
    return false;
  }

  // Answers 401, or 303 with the session cookie for a URL token, and returns false unless the
  // request may go on.
  bool check_access(const httplib::Request& req, httplib::Response& res) {
    if (!gate) return true;
    const AccessGate::Verdict v =
        gate->check(req.get_header_value("Authorization"), req.get_header_value("Cookie"),
                    req.get_param_value("token"));
    if (v.allowed && v.new_session.empty()) return true;
    if (v.allowed) {
      // The token leaves the URL (history, Referer) for a cookie that carries a session id.
      res.status = 303;
      res.set_header("Location", local_location(req.path));
      res.set_header("Set-Cookie", AccessGate::cookie_for(v.new_session, server.tls()));
      return false;
    }
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"YoloScope report\"");
    res.set_content(
        "401 unauthorized: this report server asks for its access token, as the header "
        "'Authorization: Bearer <token>' or once in the address as ?token=<token>\n",
        "text/plain; charset=utf-8");
    return false;
  }

  // The CSP hashes the page's inline blocks, so it is made here from the plain body: httplib may
  // compress the body (gzip, brotli) before the post-routing handler sees it.
  static void set_body(httplib::Response& res, std::string body, const std::string& type) {
    res.set_header("Content-Security-Policy", content_security_policy(type, body));
    res.set_content(std::move(body), type.c_str());
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    if (const std::optional<Route> r = route(req.path)) {
      set_body(res, r->fn(), r->content_type);
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
      return;
    }
    if (req.path == "/" && (!root.empty() || !files.empty())) {
      res.set_redirect("/report.html");
      return;
    }
    if (!files.empty()) {
      const auto it = files.find(req.path.substr(1));
      if (it == files.end()) {
        res.status = 404;
        res.set_content("404 not found\n", "text/plain; charset=utf-8");
        return;
      }
      set_body(res, it->second, content_type_for(it->first));
      res.set_header("Cache-Control", "no-cache");
      return;
    }
    const fs::path file = resolve(req.path);
    std::ifstream in;
    if (!file.empty()) in.open(file, std::ios::binary);
    if (!in.is_open()) {
      res.status = 404;
      res.set_content("404 not found\n", "text/plain; charset=utf-8");
      return;
    }
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    set_body(res, std::move(body), content_type_for(file));
    // Reports are rewritten in place by later runs; the browser must not show a stale one.
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
  }
};

ReportServer::ReportServer(const std::string& root, const std::string& host, int port,
                           const ReportServerOptions& options)
    : impl_(std::make_unique<Impl>(
          ConnectionLimits{.request_timeout = options.request_timeout,
                           .max_connections_per_client = options.max_connections_per_client})) {
  std::error_code ec;
  if (!root.empty() && !fs::is_directory(root, ec))
    fail(ErrorKind::kNotFound, "cannot serve ", root, ": not a folder");
  if (!root.empty()) impl_->root = fs::canonical(root);
  impl_->host = host;
  if (port < 0 || port > 65535)
    fail(ErrorKind::kInvalidArgument, "cannot serve ", root, " on ", host, ":", port,
         ": the port must be 0 (any free port) to 65535");

  for (const std::string& entry : options.allowed_hosts)
    if (!HostAllowlist(0).add_entry(entry))
      fail(ErrorKind::kInvalidArgument, "allowed_hosts: ", quoted_host(entry),
           " is not a host name, name:port, [IPv6]:port or *");

  impl_->files = options.files;
  impl_->token = options.token;
  const bool loopback_host = host == "localhost" || is_loopback_address(host);
  if (impl_->token.empty() && !loopback_host) {
    if (!options.generate_token)
      fail(ErrorKind::kInvalidArgument, "host=", host,
           " lets other machines connect, so the report server needs an access token: pass "
           "token= or set YOLOSCOPE_SERVER_TOKEN (or serve on host=127.0.0.1)");
    impl_->token = generate_access_token();
  }
  if (!impl_->token.empty()) impl_->gate = std::make_unique<AccessGate>(impl_->token);
  if (options.tls_cert.empty() != options.tls_key.empty())
    fail(ErrorKind::kInvalidArgument, "HTTPS needs both tls_cert= and tls_key=");
  if (!options.tls_cert.empty())
    impl_->server.enable_tls(make_tls_server_context(options.tls_cert, options.tls_key));

  BoundedServer& server = impl_->server;
  Impl* impl = impl_.get();
  server.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    if (!impl->check_host(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (req.method == "GET" || req.method == "HEAD")
      return impl->check_access(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                          : httplib::Server::HandlerResponse::Handled;
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("405 method not allowed: this server is read-only\n",
                    "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    // Answers made elsewhere (401, 404, 421, ...) are text: nothing may run.
    if (!res.has_header("Content-Security-Policy"))
      res.set_header("Content-Security-Policy", content_security_policy("text/plain", ""));
    if (!res.has_header("X-Content-Type-Options"))
      res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
  });
  server.Get(".*", [impl](const httplib::Request& req, httplib::Response& res) {
    impl->handle(req, res);
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content("500 internal error\n", "text/plain; charset=utf-8");
      });

  // httplib's default sets SO_REUSEPORT, which lets a second server share a busy port and split
  // its requests; SO_REUSEADDR alone still allows a quick restart over TIME_WAIT connections.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // httplib writes a response's headers and body apart; with Nagle's algorithm the body then
  // waits for the client's delayed ACK of the headers, 40 ms on Linux: a /metrics scrape took
  // 43 ms. Accepted sockets inherit TCP_NODELAY from the listening one on Linux.
  server.set_tcp_nodelay(true);
  errno = 0;
  if (port == 0) {
    impl_->port = server.bind_to_any_port(host);
  } else {
    impl_->port = server.bind_to_port(host, port) ? port : -1;
  }
  if (impl_->port < 0) {
    const int err = errno;
    fail(ErrorKind::kIo, "cannot serve ", root, ": cannot bind ", host, ":", port,
         err ? cat(" (", std::strerror(err), ")") : std::string(),
         port == 0 ? "" : "; choose another port, or port 0 for any free one");
  }

  server.widen_backlog();

  // Only now is the port known, which the implied names must carry.
  impl_->hosts = std::make_unique<HostAllowlist>(impl_->port);
  for (const char* name : {"localhost", "127.0.0.1", "::1"}) impl_->hosts->add(name);
  impl_->hosts->add(host);
  const std::string bound = server.bound_address();
  impl_->hosts->add(bound);
  if (is_wildcard_address(bound)) {
    // Bound to every interface: clients come by any of the machine's addresses or its name.
    impl_->hosts->allow_ip_literals();
    impl_->hosts->add(this_host_name());
  }
  for (const std::string& entry : options.allowed_hosts) impl_->hosts->add_entry(entry);

  impl_->thread = std::thread([impl] {
    impl->server.listen_after_bind();
    impl->listen_returned = true;
  });
  // httplib's stop() does nothing until the accept loop runs, so the destructor could hang if it
  // came first; wait for the loop (or its early end) before returning.
  while (!server.is_running() && !impl_->listen_returned)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (impl_->listen_returned) {
    impl_->thread.join();
    fail(ErrorKind::kIo, "cannot serve ", root, " on ", host, ":", impl_->port,
         ": the server stopped right after binding");
  }
}

ReportServer::~ReportServer() {
  impl_->server.stop();
  impl_->server.close_connections();
  impl_->thread.join();
}

const fs::path& ReportServer::root() const {
  return impl_->root;
}
const std::string& ReportServer::host() const {
  return impl_->host;
}
int ReportServer::port() const {
  return impl_->port;
}

std::string ReportServer::url() const {
  return base_url() + "report.html";
}

bool ReportServer::loopback_only() const {
  return is_loopback_address(impl_->server.bound_address());
}

std::string ReportServer::base_url() const {
  const std::string& h = impl_->host;
  const bool v6 = h.find(':') != std::string::npos;
  return cat(impl_->server.tls() ? "https://" : "http://", v6 ? "[" : "", h, v6 ? "]" : "", ":",
             impl_->port, "/");
}

const std::string& ReportServer::token() const {
  return impl_->token;
}

bool ReportServer::tls() const {
  return impl_->server.tls();
}

void ReportServer::set_metrics(MetricsFn fn) {
  set_route("/metrics", "text/plain; version=0.0.4; charset=utf-8", std::move(fn));
}

void ReportServer::set_route(const std::string& path, const std::string& content_type,
                             ContentFn fn) {
  std::lock_guard<std::mutex> lock(impl_->routes_mutex);
  if (fn)
    impl_->routes[path] = Impl::Route{content_type, std::move(fn)};
  else
    impl_->routes.erase(path);
}

void ReportServer::wait() {
  std::call_once(g_signal_sem_once, [] { sem_init(&g_signal_sem, 0, 0); });
  // Signals that arrived before this call must not end it at once.
  while (sem_trywait(&g_signal_sem) == 0) {
  }
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  const std::string what = !impl_->root.empty()    ? impl_->root.string()
                           : !impl_->files.empty() ? "the decrypted report (in memory only)"
                                                   : "live routes";
  std::cout << "Serving " << what << " at " << url() << " (Ctrl+C to stop)" << std::endl;
  while (sem_wait(&g_signal_sem) != 0 && errno == EINTR) {
  }

  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
}

}  // namespace ys
