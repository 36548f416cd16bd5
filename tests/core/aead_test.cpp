// AES-256-GCM through our wrapper against the GCM specification's AES-256 test cases 13 to 16
// (McGrew and Viega, "The Galois/Counter Mode of Operation", appendix B; the same vectors are in
// NIST's GCM validation set), and the failure cases: a changed bit anywhere, a wrong key, a short
// input.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/aead.h"

namespace ys {
namespace {

std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

SecretKey key_of(const std::string& hex) {
  SecretKey key;
  const std::string raw = unhex(hex);
  std::copy(raw.begin(), raw.end(), key.bytes.begin());
  return key;
}

std::array<std::uint8_t, kAeadNonceBytes> nonce_of(const std::string& hex) {
  std::array<std::uint8_t, kAeadNonceBytes> n{};
  const std::string raw = unhex(hex);
  std::copy(raw.begin(), raw.end(), n.begin());
  return n;
}

struct Vector {
  const char* name;
  const char* key;
  const char* iv;
  const char* aad;
  const char* pt;
  const char* ct;
  const char* tag;
};

constexpr const char* kZeroKey = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr const char* kKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr const char* kPt64 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr const char* kCt64 =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

const Vector kVectors[] = {
    {"case 13", kZeroKey, "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case 14", kZeroKey, "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case 15", kKey, "cafebabefacedbaddecaf888", "", kPt64, kCt64,
     "b094dac5d93471bdec1a502270e3cc6c"},
    // Case 16: the first 60 bytes of case 15's text, with associated data.
    {"case 16", kKey, "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(Aes256Gcm, SealsTheSpecificationVectors) {
  for (const Vector& v : kVectors) {
    const std::string sealed =
        aes256gcm_seal(key_of(v.key), nonce_of(v.iv), unhex(v.aad), unhex(v.pt));
    EXPECT_EQ(sealed, unhex(v.ct) + unhex(v.tag)) << v.name;
  }
}

TEST(Aes256Gcm, OpensTheSpecificationVectors) {
  for (const Vector& v : kVectors) {
    const auto opened =
        aes256gcm_open(key_of(v.key), nonce_of(v.iv), unhex(v.aad), unhex(v.ct) + unhex(v.tag));
    ASSERT_TRUE(opened.has_value()) << v.name;
    EXPECT_EQ(*opened, unhex(v.pt)) << v.name;
  }
}

TEST(Aes256Gcm, RejectsEveryFlippedBitOfCiphertextTagAadAndNonce) {
  const Vector& v = kVectors[3];
  const SecretKey key = key_of(v.key);
  const std::string aad = unhex(v.aad);
  const std::string sealed = unhex(v.ct) + unhex(v.tag);
  const auto nonce = nonce_of(v.iv);
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    std::string bad = sealed;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(aes256gcm_open(key, nonce, aad, bad).has_value()) << "sealed bit " << bit;
  }
  for (size_t bit = 0; bit < aad.size() * 8; ++bit) {
    std::string bad = aad;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(aes256gcm_open(key, nonce, bad, sealed).has_value()) << "aad bit " << bit;
  }
  for (size_t bit = 0; bit < nonce.size() * 8; ++bit) {
    auto bad = nonce;
    bad[bit / 8] = static_cast<std::uint8_t>(bad[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(aes256gcm_open(key, bad, aad, sealed).has_value()) << "nonce bit " << bit;
  }
}

TEST(Aes256Gcm, RejectsAWrongKeyAndShortInput) {
  const Vector& v = kVectors[2];
  const std::string sealed = unhex(v.ct) + unhex(v.tag);
  EXPECT_FALSE(aes256gcm_open(key_of(kZeroKey), nonce_of(v.iv), "", sealed).has_value());
  EXPECT_FALSE(aes256gcm_open(key_of(v.key), nonce_of(v.iv), "", sealed.substr(0, 15)));
  EXPECT_FALSE(aes256gcm_open(key_of(v.key), nonce_of(v.iv), "", sealed.substr(1)));
  EXPECT_FALSE(aes256gcm_open(key_of(v.key), nonce_of(v.iv), "", ""));
}

TEST(RandomBytes, DrawsDifferentNonces) {
  std::array<std::uint8_t, kAeadNonceBytes> a{}, b{};
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace ys
