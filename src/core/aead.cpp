#include "core/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <memory>

#include "core/error.h"

namespace ys {

namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// EVP takes lengths as int: larger buffers are refused rather than truncated.
int checked_len(std::size_t n) {
  YS_CHECK(n <= static_cast<std::size_t>(INT_MAX - static_cast<int>(kAeadTagBytes)),
           "AES-256-GCM: a buffer of ", n, " bytes is larger than OpenSSL accepts in one call");
  return static_cast<int>(n);
}

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

CipherCtx gcm_context(const SecretKey& key, std::span<const std::uint8_t, kAeadNonceBytes> nonce,
                      bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  YS_CHECK(ctx, "AES-256-GCM: EVP_CIPHER_CTX_new failed");
  const int enc = encrypt ? 1 : 0;
  YS_CHECK(
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) == 1 &&
          EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kAeadNonceBytes),
                              nullptr) == 1 &&
          EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), nonce.data(), enc) == 1,
      "AES-256-GCM: cipher set-up failed");
  return ctx;
}

void add_aad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
  int n = 0;
  if (aad.empty()) return;
  YS_CHECK(EVP_CipherUpdate(ctx, nullptr, &n, bytes_of(aad), checked_len(aad.size())) == 1,
           "AES-256-GCM: associated data rejected");
}

}  // namespace

SecretKey::~SecretKey() {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

std::string aes256gcm_seal(const SecretKey& key,
                           std::span<const std::uint8_t, kAeadNonceBytes> nonce,
                           std::string_view aad, std::string_view plaintext) {
  CipherCtx ctx = gcm_context(key, nonce, true);
  add_aad(ctx.get(), aad);
  std::string out(plaintext.size() + kAeadTagBytes, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int n = 0, tail = 0;
  if (!plaintext.empty())
    YS_CHECK(EVP_EncryptUpdate(ctx.get(), dst, &n, bytes_of(plaintext),
                               checked_len(plaintext.size())) == 1,
             "AES-256-GCM: encryption failed");
  YS_CHECK(EVP_EncryptFinal_ex(ctx.get(), dst + n, &tail) == 1 &&
               static_cast<std::size_t>(n + tail) == plaintext.size(),
           "AES-256-GCM: encryption failed");
  YS_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagBytes),
                               dst + plaintext.size()) == 1,
           "AES-256-GCM: no tag");
  return out;
}

std::optional<std::string> aes256gcm_open(const SecretKey& key,
                                          std::span<const std::uint8_t, kAeadNonceBytes> nonce,
                                          std::string_view aad, std::string_view sealed) {
  if (sealed.size() < kAeadTagBytes) return std::nullopt;
  const std::string_view body = sealed.substr(0, sealed.size() - kAeadTagBytes);
  std::string tag(sealed.substr(body.size()));
  CipherCtx ctx = gcm_context(key, nonce, false);
  add_aad(ctx.get(), aad);
  std::string out(body.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int n = 0, tail = 0;
  if (!body.empty() &&
      EVP_DecryptUpdate(ctx.get(), dst, &n, bytes_of(body), checked_len(body.size())) != 1)
    return std::nullopt;
  YS_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagBytes),
                               tag.data()) == 1,
           "AES-256-GCM: cannot set the tag");
  // The tag is checked here; until it passes, `out` holds unauthenticated bytes that must not
  // leave this function.
  if (EVP_DecryptFinal_ex(ctx.get(), dst + n, &tail) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

void random_bytes(std::span<std::uint8_t> out) {
  YS_CHECK(out.size() <= static_cast<std::size_t>(INT_MAX) &&
               RAND_bytes(out.data(), static_cast<int>(out.size())) == 1,
           "the random number generator (OpenSSL RAND_bytes) failed");
}

}  // namespace ys
