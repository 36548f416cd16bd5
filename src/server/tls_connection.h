// TLS for BoundedServer on OpenSSL, written here because cpp-httplib 0.11's own SSLServer cannot
// be combined with BoundedServer's deadline and size limits (both replace the same connection
// loop). A server context loads a PEM certificate chain and key (TLS 1.2 at least); a
// TlsConnection runs one connection's handshake, reads and writes on a non-blocking socket, each
// bounded by a deadline, so that a client that stalls inside a TLS record holds its worker no
// longer than a plain one.
#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace ys {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslContext = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Throws ys::Error (kInvalidArgument) naming the file and OpenSSL's reason when the certificate
// or key cannot be loaded or do not belong together.
SslContext make_tls_server_context(const std::string& cert_file, const std::string& key_file);

class TlsConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // Makes `sock` non-blocking; the caller still owns and closes it.
  TlsConnection(SSL_CTX* ctx, int sock);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  bool accept(Clock::time_point deadline);
  // Decrypted bytes already buffered, readable without waiting for the socket.
  bool pending() const;
  // > 0 bytes read, 0 at a clean close, -1 on error or when `deadline` passes.
  ssize_t read(char* buf, std::size_t size, Clock::time_point deadline);
  // All of `size` bytes, or -1 on error or when `deadline` passes.
  ssize_t write(const char* buf, std::size_t size, Clock::time_point deadline);

 private:
  // Waits for what OpenSSL asked for after a WANT_READ or WANT_WRITE; false when the deadline
  // passes or the error is another.
  bool wait_for(int ssl_result, Clock::time_point deadline);

  SSL* ssl_ = nullptr;
  int sock_;
};

}  // namespace ys
