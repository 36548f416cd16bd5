// Passphrase stretching with scrypt (RFC 7914) through OpenSSL's EVP_PBE_scrypt, for keys derived
// from YOLOSCOPE_REPORT_PASSPHRASE. The default cost follows the OWASP Password Storage Cheat
// Sheet (2023 onwards: N=2^17, r=8, p=1, 128 MiB and about half a second here). Parameters read
// from a file are checked against hard bounds first, so a forged header cannot make a reader
// allocate gigabytes or spin for hours.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ys {

struct ScryptParams {
  std::uint64_t n = 0;  // CPU/memory cost, a power of two
  std::uint32_t r = 0;  // block size
  std::uint32_t p = 0;  // parallelisation
};

inline constexpr ScryptParams kScryptOwasp{std::uint64_t{1} << 17, 8, 1};

// Empty when the parameters are usable; otherwise why not (N not a power of two, or a cost
// beyond N=2^20, r=32, p=16 or 1 GiB of memory).
std::string scrypt_params_problem(const ScryptParams& params);

// Derives out.size() bytes. Throws ys::Error: kInvalidArgument for parameters that
// scrypt_params_problem refuses, kInternal when OpenSSL fails (out of memory).
void scrypt_derive(std::string_view passphrase, std::span<const std::uint8_t> salt,
                   const ScryptParams& params, std::span<std::uint8_t> out);

}  // namespace ys
