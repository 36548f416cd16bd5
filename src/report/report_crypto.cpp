#include "report/report_crypto.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "core/aead.h"
#include "core/error.h"

namespace ys {

namespace {

constexpr std::string_view kMagic = "YSREPORT";
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kKdfNone = 0;
constexpr std::uint8_t kKdfScrypt = 1;
constexpr std::size_t kSaltBytes = 16;

// Byte offsets in the header.
constexpr std::size_t kOffVersion = 8, kOffKdf = 9, kOffReserved = 10, kOffN = 12, kOffR = 20,
                      kOffP = 24, kOffSalt = 28, kOffNonce = 44, kOffLength = 56;
static_assert(kOffLength + 8 == kReportHeaderBytes);

struct Header {
  std::uint8_t version = kVersion;
  std::uint8_t kdf = kKdfNone;
  ScryptParams scrypt{0, 0, 0};
  std::array<std::uint8_t, kSaltBytes> salt{};
  std::array<std::uint8_t, kAeadNonceBytes> nonce{};
  std::uint64_t length = 0;
};

void put_le(std::string& out, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  return v;
}

std::string encode(const Header& h) {
  std::string out(kReportHeaderBytes, '\0');
  out.replace(0, kMagic.size(), kMagic);
  out[kOffVersion] = static_cast<char>(h.version);
  out[kOffKdf] = static_cast<char>(h.kdf);
  put_le(out, kOffN, h.scrypt.n, 8);
  put_le(out, kOffR, h.scrypt.r, 4);
  put_le(out, kOffP, h.scrypt.p, 4);
  std::memcpy(out.data() + kOffSalt, h.salt.data(), kSaltBytes);
  std::memcpy(out.data() + kOffNonce, h.nonce.data(), kAeadNonceBytes);
  put_le(out, kOffLength, h.length, 8);
  return out;
}

// Parses and checks everything in the header that can be checked without the key.
Header decode(std::string_view file, const std::string& name) {
  if (file.size() < kMagic.size() || file.substr(0, kMagic.size()) != kMagic)
    fail(ErrorKind::kBadInput, name, " is not an encrypted YoloScope report (no YSREPORT mark)");
  if (file.size() < kReportHeaderBytes)
    fail(ErrorKind::kBadInput, name, " is truncated: ", file.size(),
         " bytes, shorter than its 64-byte header");
  Header h;
  h.version = static_cast<std::uint8_t>(file[kOffVersion]);
  if (h.version != kVersion)
    fail(ErrorKind::kBadInput, name, " has format version ", int{h.version},
         "; this YoloScope reads version ", int{kVersion});
  h.kdf = static_cast<std::uint8_t>(file[kOffKdf]);
  h.scrypt = {get_le(file, kOffN, 8), static_cast<std::uint32_t>(get_le(file, kOffR, 4)),
              static_cast<std::uint32_t>(get_le(file, kOffP, 4))};
  const bool no_params = h.scrypt.n == 0 && h.scrypt.r == 0 && h.scrypt.p == 0;
  const bool kdf_ok = (h.kdf == kKdfNone && no_params) ||
                      (h.kdf == kKdfScrypt && scrypt_params_problem(h.scrypt).empty());
  if (get_le(file, kOffReserved, 2) != 0 || !kdf_ok)
    fail(ErrorKind::kBadInput, name,
         " has a damaged header (unknown key derivation or parameters out of range)");
  std::memcpy(h.salt.data(), file.data() + kOffSalt, kSaltBytes);
  std::memcpy(h.nonce.data(), file.data() + kOffNonce, kAeadNonceBytes);
  h.length = get_le(file, kOffLength, 8);
  const std::uint64_t body = file.size() - kReportHeaderBytes;
  if (body < kAeadTagBytes || body - kAeadTagBytes < h.length)
    fail(ErrorKind::kBadInput, name, " is truncated: ", file.size(), " bytes where its header ",
         "says ", h.length + kReportHeaderBytes + kAeadTagBytes);
  if (body - kAeadTagBytes > h.length)
    fail(ErrorKind::kBadInput, name, " has ", body - kAeadTagBytes - h.length,
         " bytes more than its header says (damaged, or two files joined)");
  return h;
}

SecretKey key_for(const Header& h, const ReportKey& key) {
  if (h.kdf == kKdfNone) return key.key;
  SecretKey derived;
  scrypt_derive(key.passphrase, h.salt, h.scrypt, derived.bytes);
  return derived;
}

}  // namespace

std::string sealed_report_path(const std::string& dir) {
  std::filesystem::path p(dir);
  if (!p.has_filename()) p = p.parent_path();
  return p.string() + ".ysr";
}

std::string seal_report(const FileMap& files, const ReportKey& key, const ScryptParams& scrypt) {
  Header h;
  random_bytes(h.salt);
  random_bytes(h.nonce);
  if (key.kind == ReportKey::Kind::kPassphrase) {
    h.kdf = kKdfScrypt;
    h.scrypt = scrypt;
  }
  const std::string payload = pack_files(files);
  h.length = payload.size();
  const std::string header = encode(h);
  return header + aes256gcm_seal(key_for(h, key), h.nonce, header, payload);
}

FileMap open_report(std::string_view sealed, const ReportKey& key, const std::string& name) {
  const Header h = decode(sealed, name);
  const bool wants_passphrase = h.kdf == kKdfScrypt;
  if (wants_passphrase != (key.kind == ReportKey::Kind::kPassphrase))
    fail(ErrorKind::kBadInput, name, " was encrypted with ",
         wants_passphrase ? "a passphrase: set YOLOSCOPE_REPORT_PASSPHRASE"
                          : "a key: set YOLOSCOPE_REPORT_KEY or report_key_file=",
         " (", key.source, " was given)");
  const std::string_view header = sealed.substr(0, kReportHeaderBytes);
  auto payload =
      aes256gcm_open(key_for(h, key), h.nonce, header, sealed.substr(kReportHeaderBytes));
  if (!payload)
    fail(ErrorKind::kBadInput, name, ": wrong key or passphrase (", key.source,
         "), or the file was changed after it was encrypted; nothing was decrypted");
  return unpack_files(*payload);
}

}  // namespace ys
