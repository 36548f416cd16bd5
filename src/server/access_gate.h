// AccessGate: the report server's token check. The token is the one secret a client must show:
// in an `Authorization: Bearer <token>` header (scripts, Prometheus), or once as `?token=<token>`
// in a URL opened in a browser, which the server swaps for a session cookie (HttpOnly,
// SameSite=Strict, Secure under TLS) and a redirect to the same path without the token, so the
// token does not stay in the address bar, the history or a Referer. Tokens and session ids are
// compared in constant time (SHA-256 of both sides, then CRYPTO_memcmp, so that neither the
// content nor the length leaks through timing). Session ids are 256-bit random values held in
// memory only; the oldest is forgotten beyond a fixed number.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace ys {

// 32 random bytes as base64url without padding (43 characters).
std::string generate_access_token();

// Constant-time equality of two secrets, whatever their lengths.
bool secrets_equal(std::string_view a, std::string_view b);

class AccessGate {
 public:
  static constexpr std::string_view kCookieName = "ys_session";

  explicit AccessGate(std::string token, std::size_t max_sessions = 256);

  struct Verdict {
    bool allowed = false;
    // Set when the request showed the token in its query: a new session id, to be sent as the
    // cookie with a redirect to the same path without the query.
    std::string new_session;
  };

  // `authorization`: the Authorization header; `cookies`: the Cookie header; `query_token`: the
  // request's token= parameter. Empty strings when absent.
  Verdict check(std::string_view authorization, std::string_view cookies,
                std::string_view query_token);

  // The Set-Cookie value for a session id.
  static std::string cookie_for(const std::string& session, bool secure);

 private:
  bool known_session(std::string_view id);

  std::string token_;
  std::size_t max_sessions_;
  std::mutex mutex_;
  std::deque<std::string> sessions_;
};

}  // namespace ys
