#include "server/tls_connection.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "core/error.h"

namespace ys {

namespace {

std::string openssl_reason() {
  char text[256] = {};
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

}  // namespace

SslContext make_tls_server_context(const std::string& cert_file, const std::string& key_file) {
  SslContext ctx(SSL_CTX_new(TLS_server_method()));
  YS_CHECK(ctx, "SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1)
    fail(ErrorKind::kInvalidArgument, "tls_cert=", cert_file, ": not a readable PEM certificate (",
         openssl_reason(), ")");
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    fail(ErrorKind::kInvalidArgument, "tls_key=", key_file, ": not a readable PEM private key (",
         openssl_reason(), ")");
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    fail(ErrorKind::kInvalidArgument, "tls_key=", key_file,
         " is not the key of tls_cert=", cert_file);
  return ctx;
}

TlsConnection::TlsConnection(SSL_CTX* ctx, int sock) : sock_(sock) {
  fcntl(sock, F_SETFL, fcntl(sock, F_GETFL, 0) | O_NONBLOCK);
  ssl_ = SSL_new(ctx);
  YS_CHECK(ssl_ && SSL_set_fd(ssl_, sock) == 1, "SSL_new failed");
}

TlsConnection::~TlsConnection() {
  // A close_notify if the socket takes it at once; a client that does not read gets none.
  SSL_shutdown(ssl_);
  SSL_free(ssl_);
  ERR_clear_error();
}

bool TlsConnection::wait_for(int ssl_result, Clock::time_point deadline) {
  const int err = SSL_get_error(ssl_, ssl_result);
  short events;
  if (err == SSL_ERROR_WANT_READ) {
    events = POLLIN;
  } else if (err == SSL_ERROR_WANT_WRITE) {
    events = POLLOUT;
  } else {
    ERR_clear_error();
    return false;
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd pfd{sock_, events, 0};
  int r;
  do {
    r = poll(&pfd, 1, static_cast<int>(std::min<long>(left.count(), INT_MAX)));
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

bool TlsConnection::accept(Clock::time_point deadline) {
  for (;;) {
    const int r = SSL_accept(ssl_);
    if (r == 1) return true;
    if (!wait_for(r, deadline)) return false;
  }
}

bool TlsConnection::pending() const {
  return SSL_pending(ssl_) > 0;
}

ssize_t TlsConnection::read(char* buf, std::size_t size, Clock::time_point deadline) {
  const int want = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  for (;;) {
    const int r = SSL_read(ssl_, buf, want);
    if (r > 0) return r;
    if (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN) return 0;
    if (!wait_for(r, deadline)) return -1;
  }
}

ssize_t TlsConnection::write(const char* buf, std::size_t size, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < size) {
    const int chunk = static_cast<int>(std::min<std::size_t>(size - done, INT_MAX));
    const int r = SSL_write(ssl_, buf + done, chunk);
    if (r > 0) {
      done += static_cast<std::size_t>(r);
      continue;
    }
    if (!wait_for(r, deadline)) return -1;
  }
  return static_cast<ssize_t>(size);
}

}  // namespace ys
