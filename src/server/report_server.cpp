#include "server/report_server.h"

#include <httplib.h>
#include <semaphore.h>
#include <sys/socket.h>

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
#include <mutex>
#include <thread>
#include <utility>

#include "core/error.h"

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

// Signals reach wait() through a semaphore because sem_post is one of the few calls that are safe
// inside a signal handler.
sem_t g_signal_sem;
std::once_flag g_signal_sem_once;

extern "C" void on_stop_signal(int) {
  sem_post(&g_signal_sem);
}

}  // namespace

struct ReportServer::Impl {
  fs::path root;
  std::string host;
  int port = 0;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  std::mutex metrics_mutex;
  MetricsFn metrics;

  MetricsFn current_metrics() {
    std::lock_guard<std::mutex> lock(metrics_mutex);
    return metrics;
  }

  // Maps a decoded request path onto a regular file inside root, or returns an empty path.
  fs::path resolve(const std::string& request_path) const {
    if (request_path.empty() || request_path.front() != '/') return {};
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

  void handle(const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/") {
      res.set_redirect("/report.html");
      return;
    }
    if (req.path == "/metrics") {
      if (MetricsFn fn = current_metrics()) {
        res.set_content(fn(), "text/plain; version=0.0.4; charset=utf-8");
        return;
      }
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
    res.set_content(std::move(body), content_type_for(file).c_str());
    // Reports are rewritten in place by later runs; the browser must not show a stale one.
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
  }
};

ReportServer::ReportServer(const std::string& root, const std::string& host, int port)
    : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    fail(ErrorKind::kNotFound, "cannot serve ", root, ": not a folder");
  impl_->root = fs::canonical(root);
  impl_->host = host;
  if (port < 0 || port > 65535)
    fail(ErrorKind::kInvalidArgument, "cannot serve ", root, " on ", host, ":", port,
         ": the port must be 0 (any free port) to 65535");

  httplib::Server& server = impl_->server;
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD")
      return httplib::Server::HandlerResponse::Unhandled;
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("405 method not allowed: this server is read-only\n",
                    "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  Impl* impl = impl_.get();
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
  const std::string& h = impl_->host;
  const bool v6 = h.find(':') != std::string::npos;
  return cat("http://", v6 ? "[" : "", h, v6 ? "]" : "", ":", impl_->port, "/report.html");
}

void ReportServer::set_metrics(MetricsFn fn) {
  std::lock_guard<std::mutex> lock(impl_->metrics_mutex);
  impl_->metrics = std::move(fn);
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

  std::cout << "Serving " << impl_->root.string() << " at " << url() << " (Ctrl+C to stop)"
            << std::endl;
  while (sem_wait(&g_signal_sem) != 0 && errno == EINTR) {
  }

  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
}

}  // namespace ys
