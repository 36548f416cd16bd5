// ReportServer: serves one folder (a run's profile/ folder with report.html, summary.json,
// trace.json, ...) read-only over HTTP, so a report on a headless box can be opened from a
// browser elsewhere (`serve=True`, `yolo report serve`). It binds 127.0.0.1 unless told
// otherwise, answers GET and HEAD only, never lists a directory and refuses every path that
// resolves outside the folder (dot segments, percent-encoded or not, and symlinks that lead out).
// It answers only requests whose Host header names it (localhost, 127.0.0.1, [::1], the bound
// address, allowed_hosts), so a web page cannot read the reports through DNS rebinding. A whole
// request must arrive within a deadline and each client holds a few connections at most (see
// BoundedServer). The server runs in a background thread from construction to destruction; wait()
// blocks the caller until SIGINT or SIGTERM. With a token, every request must show it (Bearer
// header, or a one-time ?token= that becomes a session cookie), or gets 401; a host beyond
// loopback requires one. With a certificate it speaks only HTTPS. Every answer carries a
// Content-Security-Policy (security_headers.h), X-Content-Type-Options and Referrer-Policy. Routes
// answered by callbacks (/metrics, the live dashboard and its JSON during a run) can be added and
// removed while it serves; a root of "" serves those routes and no file.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ys {

struct ReportServerOptions {
  // More Host names to answer (allowed_hosts=): "name" on any port, "name:port", "[v6]:port", or
  // "*" for any Host at all.
  std::vector<std::string> allowed_hosts;
  // Time for one whole request, from its first byte to its blank line.
  std::chrono::milliseconds request_timeout{10000};
  // Open connections per client address (IPv6: per /64).
  int max_connections_per_client = 16;
  // The access token every request must show (AccessGate); "" for none. A server bound beyond
  // loopback refuses to start without one, unless generate_token makes one (see token()).
  std::string token;
  bool generate_token = false;
  // PEM certificate chain and private key: the server speaks HTTPS only. Both or neither.
  std::string tls_cert;
  std::string tls_key;
  // Files served from memory (relative path -> bytes) when root is "": a decrypted report, whose
  // plain bytes never touch the disk.
  std::map<std::string, std::string> files;
};

class ReportServer {
 public:
  using MetricsFn = std::function<std::string()>;
  using ContentFn = std::function<std::string()>;

  // Starts serving `root` ("" for no files, or options.files) on host:port; port 0 picks a free
  // port (see port()). Throws ys::Error: kNotFound when root is not a folder, kInvalidArgument for
  // a malformed allowed_hosts entry, a host beyond loopback without a token, or an unusable TLS
  // certificate or key, kIo naming host and port when the address cannot be bound (in use, not a
  // local address, no permission).
  explicit ReportServer(const std::string& root, const std::string& host = "127.0.0.1",
                        int port = 0, const ReportServerOptions& options = {});
  ~ReportServer();

  ReportServer(const ReportServer&) = delete;
  ReportServer& operator=(const ReportServer&) = delete;

  const std::filesystem::path& root() const;
  const std::string& host() const;
  int port() const;
  // http://host:port/report.html, the address to print and open.
  std::string url() const;
  // http://host:port/, where a live run's dashboard is.
  std::string base_url() const;
  // True when the listening address is a loopback one, so that only this machine can connect.
  bool loopback_only() const;
  // The token requests must show ("" for none), given or generated.
  const std::string& token() const;
  bool tls() const;

  // Serves GET /metrics from `fn` (text/plain; version=0.0.4); an empty fn removes the route.
  // Safe to call while the server runs; fn is called on the server's threads.
  void set_metrics(MetricsFn fn);
  // Serves GET `path` ("/", "/live.json") from `fn` with `content_type`, before any file of the
  // same name; an empty fn removes the route. Safe to call while the server runs; fn is called
  // on the server's threads, several at once.
  void set_route(const std::string& path, const std::string& content_type, ContentFn fn);

  // Prints where the server listens and blocks until SIGINT or SIGTERM arrives, then restores
  // the previous signal handlers. The server keeps running until destruction.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ys
