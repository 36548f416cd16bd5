#include "server/access_gate.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <utility>

#include "core/error.h"

namespace ys {

namespace {

std::array<unsigned char, 32> sha256(std::string_view s) {
  std::array<unsigned char, 32> out{};
  unsigned int n = 0;
  YS_CHECK(EVP_Digest(s.data(), s.size(), out.data(), &n, EVP_sha256(), nullptr) == 1 && n == 32,
           "SHA-256 failed");
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of cookie `name` in a Cookie header ("a=1; ys_session=x"), or "".
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

}  // namespace

std::string generate_access_token() {
  std::array<unsigned char, 32> raw{};
  YS_CHECK(RAND_bytes(raw.data(), static_cast<int>(raw.size())) == 1,
           "the random number generator failed");
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int have = 0;
  for (unsigned char b : raw) {
    bits = (bits << 8) | b;
    have += 8;
    while (have >= 6) {
      out += alphabet[(bits >> (have - 6)) & 63];
      have -= 6;
    }
  }
  if (have > 0) out += alphabet[(bits << (6 - have)) & 63];
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

bool secrets_equal(std::string_view a, std::string_view b) {
  const auto ha = sha256(a), hb = sha256(b);
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

AccessGate::AccessGate(std::string token, std::size_t max_sessions)
    : token_(std::move(token)), max_sessions_(max_sessions) {}

AccessGate::Verdict AccessGate::check(std::string_view authorization, std::string_view cookies,
                                      std::string_view query_token) {
  Verdict v;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() && authorization.substr(0, kBearer.size()) == kBearer)
    v.allowed = secrets_equal(trim(authorization.substr(kBearer.size())), token_);
  if (!v.allowed && !query_token.empty() && secrets_equal(query_token, token_)) {
    v.allowed = true;
    v.new_session = generate_access_token();
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.push_back(v.new_session);
    if (sessions_.size() > max_sessions_) sessions_.pop_front();
    return v;
  }
  if (!v.allowed) {
    const std::string_view id = cookie_value(cookies, kCookieName);
    v.allowed = !id.empty() && known_session(id);
  }
  return v;
}

bool AccessGate::known_session(std::string_view id) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Every entry is compared, so the time does not tell which one matched.
  bool found = false;
  for (const std::string& s : sessions_) found |= secrets_equal(s, id);
  return found;
}

std::string AccessGate::cookie_for(const std::string& session, bool secure) {
  return cat(kCookieName, "=", session, "; Path=/; HttpOnly; SameSite=Strict",
             secure ? "; Secure" : "");
}

}  // namespace ys
