#include "core/kdf.h"

#include <openssl/evp.h>

#include "core/error.h"

namespace ys {

namespace {

constexpr std::uint64_t kMaxN = std::uint64_t{1} << 20;
constexpr std::uint32_t kMaxR = 32;
constexpr std::uint32_t kMaxP = 16;
constexpr std::uint64_t kMaxMemory = std::uint64_t{1} << 30;

// scrypt's working set: V is 128*r*N bytes, B is 128*r*p; OpenSSL refuses to exceed maxmem.
std::uint64_t scrypt_memory(const ScryptParams& p) {
  return 128 * std::uint64_t{p.r} * (p.n + p.p + 2);
}

}  // namespace

std::string scrypt_params_problem(const ScryptParams& params) {
  if (params.n < 2 || (params.n & (params.n - 1)) != 0)
    return cat("scrypt N=", params.n, " is not a power of two of at least 2");
  if (params.n > kMaxN || params.r < 1 || params.r > kMaxR || params.p < 1 || params.p > kMaxP)
    return cat("scrypt N=", params.n, ", r=", params.r, ", p=", params.p,
               " is beyond the accepted range (N up to 2^20, r 1 to 32, p 1 to 16)");
  if (scrypt_memory(params) > kMaxMemory)
    return cat("scrypt N=", params.n, ", r=", params.r, " needs more than 1 GiB");
  return {};
}

void scrypt_derive(std::string_view passphrase, std::span<const std::uint8_t> salt,
                   const ScryptParams& params, std::span<std::uint8_t> out) {
  if (std::string problem = scrypt_params_problem(params); !problem.empty())
    fail(ErrorKind::kInvalidArgument, problem);
  YS_CHECK(EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt.data(), salt.size(), params.n,
                          params.r, params.p, kMaxMemory + (1 << 20), out.data(), out.size()) == 1,
           "scrypt failed (out of memory?)");
}

}  // namespace ys
