#include "report/report_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/log.h"

namespace ys {

namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex(std::string_view text, SecretKey& out) {
  if (text.size() != 2 * kAeadKeyBytes) return false;
  SecretKey key;
  for (std::size_t i = 0; i < kAeadKeyBytes; ++i) {
    const int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    key.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  out = key;
  return true;
}

bool parse_base64(std::string_view text, SecretKey& out) {
  // 32 bytes are 44 characters with one '=' of padding; the URL-safe alphabet is accepted too.
  if (text.size() != 44 || text[43] != '=' || text[42] == '=') return false;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  unsigned char decoded[33] = {};
  const int n = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(standard.data()),
                                static_cast<int>(standard.size()));
  OPENSSL_cleanse(standard.data(), standard.size());
  // EVP_DecodeBlock counts the padding as a zero byte: 44 characters give 33.
  const bool ok = n == 33;
  if (ok) std::memcpy(out.bytes.data(), decoded, kAeadKeyBytes);
  OPENSSL_cleanse(decoded, sizeof decoded);
  return ok;
}

const char* non_empty(const GetEnv& getenv, const char* name) {
  const char* v = getenv(name);
  return (v && *v) ? v : nullptr;
}

std::string read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(ErrorKind::kIo, "report_key_file=", path, ": cannot read it (", std::strerror(errno), ")");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    log_warn("report_key_file=", path, " can be read by other users (mode ", std::oct,
             (st.st_mode & 0777), std::dec, "); chmod 600 it");
  // A key file is 32 bytes or a line of text; anything much larger is not a key.
  std::string bytes(128, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

}  // namespace

ReportKey::~ReportKey() {
  OPENSSL_cleanse(passphrase.data(), passphrase.size());
}

bool parse_key_text(std::string_view text, SecretKey& out) {
  text = trim(text);
  return parse_hex(text, out) || parse_base64(text, out);
}

bool report_key_configured(const std::string& key_file, const GetEnv& getenv) {
  return !key_file.empty() || non_empty(getenv, "YOLOSCOPE_REPORT_KEY") ||
         non_empty(getenv, "YOLOSCOPE_REPORT_PASSPHRASE");
}

ReportKey report_key_from(const std::string& key_file, const GetEnv& getenv) {
  ReportKey key;
  if (!key_file.empty()) {
    key.source = cat("report_key_file=", key_file);
    std::string bytes = read_key_file(key_file);
    const bool ok = bytes.size() == kAeadKeyBytes
                        ? (std::memcpy(key.key.bytes.data(), bytes.data(), kAeadKeyBytes), true)
                        : parse_key_text(bytes, key.key);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    if (!ok)
      fail(ErrorKind::kInvalidArgument, key.source,
           ": not a key (32 raw bytes, 64 hex digits or 44 characters of base64)");
    return key;
  }
  const char* raw = non_empty(getenv, "YOLOSCOPE_REPORT_KEY");
  const char* pass = non_empty(getenv, "YOLOSCOPE_REPORT_PASSPHRASE");
  if (raw && pass)
    fail(ErrorKind::kInvalidArgument,
         "both YOLOSCOPE_REPORT_KEY and YOLOSCOPE_REPORT_PASSPHRASE are set; unset one");
  if (raw) {
    key.source = "YOLOSCOPE_REPORT_KEY";
    if (!parse_key_text(raw, key.key))
      fail(ErrorKind::kInvalidArgument,
           "YOLOSCOPE_REPORT_KEY is not a key: it must be 32 bytes as 64 hex digits or 44 "
           "characters of base64 (make one with: openssl rand -hex 32)");
    return key;
  }
  if (pass) {
    key.kind = ReportKey::Kind::kPassphrase;
    key.source = "YOLOSCOPE_REPORT_PASSPHRASE";
    key.passphrase = pass;
    return key;
  }
  fail(ErrorKind::kInvalidArgument,
       "no report key: set YOLOSCOPE_REPORT_KEY (openssl rand -hex 32), "
       "YOLOSCOPE_REPORT_PASSPHRASE, or report_key_file=");
}

}  // namespace ys
