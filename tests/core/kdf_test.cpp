// scrypt through our wrapper against RFC 7914 section 12's test vectors, and the bounds that
// protect a reader from a forged header's parameters.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/kdf.h"

namespace ys {
namespace {

std::string derive_hex(std::string_view pass, std::string_view salt, ScryptParams params) {
  std::vector<std::uint8_t> out(64);
  scrypt_derive(pass, {reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()}, params,
                out);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t b : out) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  return hex;
}

TEST(Scrypt, MatchesRfc7914Vectors) {
  EXPECT_EQ(derive_hex("", "", {16, 1, 1}),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  EXPECT_EQ(derive_hex("password", "NaCl", {1024, 8, 16}),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  EXPECT_EQ(derive_hex("pleaseletmein", "SodiumChloride", {16384, 8, 1}),
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

TEST(Scrypt, DefaultCostIsAcceptedAndForgedCostsAreRefused) {
  EXPECT_EQ(scrypt_params_problem(kScryptOwasp), "");
  EXPECT_NE(scrypt_params_problem({1000, 8, 1}), "");                    // not a power of two
  EXPECT_NE(scrypt_params_problem({std::uint64_t{1} << 40, 8, 1}), "");  // hours and terabytes
  EXPECT_NE(scrypt_params_problem({1024, 0, 1}), "");
  EXPECT_NE(scrypt_params_problem({1024, 8, 0}), "");
  EXPECT_NE(scrypt_params_problem({std::uint64_t{1} << 20, 32, 1}), "");  // 4 GiB
  std::vector<std::uint8_t> out(32);
  EXPECT_THROW(scrypt_derive("x", {}, {3, 1, 1}, out), Error);
}

}  // namespace
}  // namespace ys
