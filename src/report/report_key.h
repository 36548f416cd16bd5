// Where the key of an encrypted report comes from, the way docs/SECURITY.md describes it: the
// report_key_file= argument, else YOLOSCOPE_REPORT_KEY (32 bytes as 64 hex digits or base64),
// else YOLOSCOPE_REPORT_PASSPHRASE (stretched with scrypt when the file is sealed or opened). A
// key is never printed: messages name its source, not its value, and the bytes are wiped when the
// ReportKey goes away.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/aead.h"

namespace ys {

struct ReportKey {
  enum class Kind { kRaw, kPassphrase };
  Kind kind = Kind::kRaw;
  SecretKey key;           // kRaw
  std::string passphrase;  // kPassphrase
  std::string source;      // "YOLOSCOPE_REPORT_KEY", "report_key_file=/x", for messages

  ReportKey() = default;
  ReportKey(const ReportKey&) = default;
  ReportKey& operator=(const ReportKey&) = default;
  ~ReportKey();
};

using GetEnv = std::function<const char*(const char*)>;

// True when any key source is set, so that report_encrypt=True can be refused before a run
// that could not seal its report.
bool report_key_configured(const std::string& key_file, const GetEnv& getenv);

// Throws ys::Error (kInvalidArgument) naming the source when none is set, when both environment
// variables are set, when a key is not 32 bytes of hex or base64 (or 32 raw bytes in a file), or
// when the passphrase is empty; kIo when the key file cannot be read.
ReportKey report_key_from(const std::string& key_file, const GetEnv& getenv);

// The 32 bytes of `text` (64 hex digits, or base64 of 32 bytes; surrounding spaces ignored), or
// false. `out` is left untouched on failure.
bool parse_key_text(std::string_view text, SecretKey& out);

}  // namespace ys
