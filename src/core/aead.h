// AES-256-GCM through OpenSSL 3's EVP interface, for sealing whole files (the encrypted report,
// report/report_crypto.h). One call seals or opens a buffer with a 96-bit nonce and associated
// data; the 16-byte tag follows the ciphertext. Nothing here chooses nonces or keys: callers draw
// them from random_bytes() and must never seal twice under one key and nonce. SecretKey wipes
// itself on destruction so a key does not linger in freed memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ys {

inline constexpr std::size_t kAeadKeyBytes = 32;
inline constexpr std::size_t kAeadNonceBytes = 12;
inline constexpr std::size_t kAeadTagBytes = 16;

// 32 key bytes, overwritten with zeros (OPENSSL_cleanse) when destroyed.
struct SecretKey {
  std::array<std::uint8_t, kAeadKeyBytes> bytes{};
  SecretKey() = default;
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();
};

// Ciphertext followed by the tag. Throws ys::Error (kInternal) only when OpenSSL itself fails.
std::string aes256gcm_seal(const SecretKey& key,
                           std::span<const std::uint8_t, kAeadNonceBytes> nonce,
                           std::string_view aad, std::string_view plaintext);

// The plaintext, or nullopt when `sealed` is shorter than a tag or the tag does not verify (wrong
// key, changed ciphertext, nonce or associated data). No partial plaintext is ever returned.
std::optional<std::string> aes256gcm_open(const SecretKey& key,
                                          std::span<const std::uint8_t, kAeadNonceBytes> nonce,
                                          std::string_view aad, std::string_view sealed);

// Fills `out` from OpenSSL's CSPRNG (RAND_bytes); throws ys::Error (kInternal) if it cannot.
void random_bytes(std::span<std::uint8_t> out);

}  // namespace ys
