#include "server/bounded_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace ys {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// poll() for one event, retrying on EINTR; > 0 ready, 0 timed out, < 0 error.
int poll_one(socket_t sock, short events, milliseconds timeout) {
  pollfd pfd{sock, events, 0};
  const int ms = static_cast<int>(std::max<milliseconds::rep>(0, timeout.count()));
  int r;
  do {
    r = poll(&pfd, 1, ms);
  } while (r < 0 && errno == EINTR);
  return r;
}

milliseconds to_ms(time_t sec, time_t usec) {
  return milliseconds(sec * 1000 + usec / 1000);
}

// Sends all of `text` or gives up at the first error or stalled write; for the short answers this
// file writes itself, where nothing can be done about a client that does not read.
void send_all(socket_t sock, const std::string& text, milliseconds timeout) {
  size_t sent = 0;
  while (sent < text.size() && poll_one(sock, POLLOUT, timeout) > 0) {
    const ssize_t n = send(sock, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string plain_response(int status, const char* reason, const std::string& body,
                           const std::string& extra_headers = {}) {
  return cat("HTTP/1.1 ", status, " ", reason,
             "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ", body.size(),
             "\r\nConnection: close\r\n", extra_headers, "\r\n", body);
}

// Numeric host and port of a socket address.
void numeric_address(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  char host[NI_MAXHOST] = {}, serv[NI_MAXSERV] = {};
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, serv,
                  sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return;
  ip = host;
  port = std::atoi(serv);
}

// The key connections are counted under: the IPv4 address (also when mapped into IPv6), or the
// /64 prefix of an IPv6 address, since one host commonly owns a whole /64.
std::string client_key(socket_t sock) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof text);
    return text;
  }
  if (addr.ss_family == AF_INET6) {
    in6_addr a = reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof text);
      return text;
    }
    std::fill(a.s6_addr + 8, a.s6_addr + 16, 0);
    inet_ntop(AF_INET6, &a, text, sizeof text);
    return cat(text, "/64");
  }
  return "unknown";
}

// httplib's SocketStream with a deadline and a byte budget for everything read. httplib reads a
// request one byte at a time, so reads are buffered as in SocketStream. Once a limit is passed,
// reads and writes fail, so httplib's own "400 Bad Request" is never sent: the caller answers 408
// or 431 instead.
class BoundedStream final : public httplib::Stream {
 public:
  enum class Overrun { kNone, kTime, kSize };

  BoundedStream(socket_t sock, TlsConnection* tls, Clock::time_point deadline, size_t max_bytes,
                milliseconds read_timeout, milliseconds write_timeout)
      : sock_(sock),
        tls_(tls),
        deadline_(deadline),
        bytes_left_(max_bytes),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        buffer_(4096) {}

  Overrun overrun() const { return overrun_; }

  bool is_readable() const override {
    if (overrun_ != Overrun::kNone) return false;
    if (tls_ && tls_->pending()) return true;
    const auto left = std::chrono::ceil<milliseconds>(deadline_ - Clock::now());
    // Ready or failed: recv() tells which.
    if (poll_one(sock_, POLLIN, std::min(left, read_timeout_)) != 0) return true;
    if (left <= read_timeout_) overrun_ = Overrun::kTime;
    return false;
  }

  bool is_writable() const override {
    return overrun_ == Overrun::kNone && poll_one(sock_, POLLOUT, write_timeout_) > 0;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ == filled_) {
      if (!is_readable()) return -1;
      const size_t want = std::min(buffer_.size(), bytes_left_ + 1);
      ssize_t n;
      if (tls_) {
        // A TLS record may arrive in pieces; waiting for the rest is bounded by the same limits.
        n = tls_->read(buffer_.data(), want, std::min(deadline_, Clock::now() + read_timeout_));
      } else {
        do {
          n = recv(sock_, buffer_.data(), want, 0);
        } while (n < 0 && errno == EINTR);
      }
      if (n <= 0) return n;
      if (static_cast<size_t>(n) > bytes_left_) {
        overrun_ = Overrun::kSize;
        return -1;
      }
      bytes_left_ -= static_cast<size_t>(n);
      offset_ = 0;
      filled_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, filled_ - offset_);
    std::memcpy(ptr, buffer_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    if (tls_) return tls_->write(ptr, size, Clock::now() + write_timeout_);
    return send(sock_, ptr, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      numeric_address(addr, len, ip, port);
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      numeric_address(addr, len, ip, port);
  }

  socket_t socket() const override { return sock_; }

 private:
  socket_t sock_;
  TlsConnection* tls_;
  Clock::time_point deadline_;
  size_t bytes_left_;
  milliseconds read_timeout_, write_timeout_;
  std::vector<char> buffer_;
  size_t offset_ = 0, filled_ = 0;
  mutable Overrun overrun_ = Overrun::kNone;
};

}  // namespace

BoundedServer::BoundedServer(const ConnectionLimits& limits) : limits_(limits) {
  const size_t threads = limits_.threads;
  new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
}

void BoundedServer::close_connections() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (socket_t sock : open_) shutdown(sock, SHUT_RDWR);
}

void BoundedServer::widen_backlog() {
  const socket_t sock = svr_sock_;
  // On a listening socket, listen() again only changes the backlog.
  if (sock != INVALID_SOCKET) ::listen(sock, SOMAXCONN);
}

std::string BoundedServer::bound_address() const {
  const socket_t sock = svr_sock_;
  if (sock == INVALID_SOCKET) return {};
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  std::string ip;
  int port = 0;
  numeric_address(addr, len, ip, port);
  return ip;
}

void BoundedServer::enable_tls(SslContext ctx) {
  tls_ctx_ = std::move(ctx);
}

bool BoundedServer::admit(socket_t sock, const std::string& client) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_.insert(sock);
  int& count = per_client_[client];
  if (count >= limits_.max_connections_per_client) return false;
  ++count;
  return true;
}

void BoundedServer::release(socket_t sock, const std::string& client, bool admitted) {
  // Closed under the lock: close_connections() must never shut down a descriptor number that
  // has been closed and handed out again.
  std::lock_guard<std::mutex> lock(mutex_);
  if (admitted && --per_client_[client] == 0) per_client_.erase(client);
  open_.erase(sock);
  shutdown(sock, SHUT_RDWR);
  close(sock);
}

bool BoundedServer::process_and_close_socket(socket_t sock) {
  const std::string client = client_key(sock);
  const bool admitted = admit(sock, client);
  bool ok = false;
  if (admitted && tls_ctx_) {
    // The handshake counts against the request deadline like the request itself.
    TlsConnection tls(tls_ctx_.get(), sock);
    if (tls.accept(Clock::now() + limits_.request_timeout)) ok = serve_connection(sock, &tls);
  } else if (admitted) {
    ok = serve_connection(sock, nullptr);
  } else if (!tls_ctx_) {
    // Over TLS a plain-text 503 would be garbage to the client, so that connection just closes.
    const int retry_s = static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(limits_.request_timeout).count() + 1);
    send_all(sock,
             plain_response(503, "Service Unavailable",
                            cat("503 too many connections from ", client, " (at most ",
                                limits_.max_connections_per_client, " at once); retry later\n"),
                            cat("Retry-After: ", retry_s, "\r\n")),
             to_ms(write_timeout_sec_, write_timeout_usec_));
  }
  release(sock, client, admitted);
  return ok;
}

// httplib's keep-alive loop (process_server_socket_core) with a BoundedStream per request.
bool BoundedServer::serve_connection(socket_t sock, TlsConnection* tls) {
  const milliseconds read_timeout = to_ms(read_timeout_sec_, read_timeout_usec_);
  const milliseconds write_timeout = to_ms(write_timeout_sec_, write_timeout_usec_);
  // Answers this file writes itself (408, 431) go through TLS when the connection has it.
  auto reply = [&](const std::string& text) {
    if (tls) {
      tls->write(text.data(), text.size(), Clock::now() + write_timeout);
    } else {
      send_all(sock, text, write_timeout);
    }
  };
  bool ok = false;
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    if (!(tls && tls->pending()) &&
        poll_one(sock, POLLIN, std::chrono::seconds(keep_alive_timeout_sec_)) <= 0)
      break;
    BoundedStream stream(sock, tls, Clock::now() + limits_.request_timeout,
                         limits_.max_request_bytes, read_timeout, write_timeout);
    bool closed = false, has_body = false;
    ok = process_request(stream, left == 1, closed, [&has_body](httplib::Request& req) {
      if (req.ranges.size() > 1) req.ranges.clear();
      // Nothing here reads a body, so one left unread would be taken for the next request:
      // answer this one and close.
      has_body =
          req.has_header("Transfer-Encoding") ||
          (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
      if (has_body) {
        req.headers.erase("Connection");
        req.headers.emplace("Connection", "close");
      }
    });
    switch (stream.overrun()) {
      case BoundedStream::Overrun::kTime:
        reply(plain_response(408, "Request Timeout",
                             cat("408 the request did not arrive within ",
                                 limits_.request_timeout.count(), " ms\n")));
        return false;
      case BoundedStream::Overrun::kSize:
        reply(plain_response(
            431, "Request Header Fields Too Large",
            cat("431 the request is larger than ", limits_.max_request_bytes, " bytes\n")));
        return false;
      case BoundedStream::Overrun::kNone:
        break;
    }
    if (!ok || closed || has_body) break;
  }
  return ok;
}

}  // namespace ys
