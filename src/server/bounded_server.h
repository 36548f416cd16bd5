// BoundedServer: cpp-httplib's Server with the limits a server reachable by strangers needs, which
// httplib 0.11 lacks. httplib gives every connection a worker thread for as long as the client
// likes: its read timeout restarts with every byte, so 20 clients sending a byte every 2 s hold a
// pool of 8 threads for hours and nobody else is answered. Here a whole request (request line,
// headers) must arrive within a deadline and a byte budget, each client address holds at most a
// few connections, and a Range header of more than one range is ignored (RFC 9110 14.2 lets a
// server ignore Range; httplib would build one multipart body of every range in memory).
// With enable_tls(), connections speak TLS (tls_connection.h) under the same limits.
// Used by ReportServer only; it includes httplib.h, so keep it out of other layers' headers.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "server/tls_connection.h"

namespace ys {

struct ConnectionLimits {
  // From the first byte of a request to its blank line; beyond it the client gets 408 and the
  // connection is closed.
  std::chrono::milliseconds request_timeout{10000};
  // Request line and headers together; beyond it 431 and close. httplib itself bounds only the
  // length of one line, not their number.
  std::size_t max_request_bytes = 256 * 1024;
  // Open connections from one IPv4 address or IPv6 /64; more are answered 503 and closed at once.
  int max_connections_per_client = 16;
  // Worker threads; each open connection holds one.
  std::size_t threads = 64;
};

class BoundedServer : public httplib::Server {
 public:
  explicit BoundedServer(const ConnectionLimits& limits);

  // Shuts down every open client connection, so that the end of listen() waits for no client.
  // Call it after stop().
  void close_connections();

  // Widens the listen queue of the bound socket. httplib listens with a backlog of 5, so a burst
  // of connections (a browser opens six at once) waits for SYN retransmission, a second or more.
  void widen_backlog();

  // The numeric address the listening socket is bound to ("127.0.0.1", "::"), empty before
  // binding.
  std::string bound_address() const;

  // Every connection accepted from now on is TLS with this context. Call before listening.
  void enable_tls(SslContext ctx);
  bool tls() const { return tls_ctx_ != nullptr; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool serve_connection(socket_t sock, TlsConnection* tls);
  // Counts the connection against its client; false when the client already holds its share.
  bool admit(socket_t sock, const std::string& client);
  void release(socket_t sock, const std::string& client, bool admitted);

  ConnectionLimits limits_;
  SslContext tls_ctx_;
  std::mutex mutex_;
  std::map<std::string, int> per_client_;
  std::set<socket_t> open_;
};

}  // namespace ys
