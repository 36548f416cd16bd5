// The encrypted report file (profile.ysr): a report folder packed into one archive
// (report_archive.h) and sealed with AES-256-GCM under a 64-byte header that is authenticated as
// associated data. The header carries the magic "YSREPORT", the format version, the key
// derivation (none for a raw key, scrypt with its N, r, p and a random 16-byte salt for a
// passphrase), a random 96-bit nonce drawn for every file, and the payload length. The full
// layout is in docs/SECURITY.md. Opening checks everything before a byte of plaintext is
// returned: a wrong key, a truncated file or one changed bit is an error, never partial output.
#pragma once

#include <string>
#include <string_view>

#include "core/kdf.h"
#include "report/report_archive.h"
#include "report/report_key.h"

namespace ys {

inline constexpr std::string_view kEncryptedReportName = "profile.ysr";
inline constexpr std::size_t kReportHeaderBytes = 64;

// Where a folder's encrypted report goes: runs/x/profile (or runs/x/profile/) ->
// runs/x/profile.ysr.
std::string sealed_report_path(const std::string& dir);

// The .ysr bytes. A passphrase key is stretched with `scrypt` (the OWASP cost unless a test asks
// for a cheaper one) under a fresh salt; every call draws a fresh nonce.
std::string seal_report(const FileMap& files, const ReportKey& key,
                        const ScryptParams& scrypt = kScryptOwasp);

// The files of a .ysr. Throws ys::Error (kBadInput) whose message starts with `name` and says
// why: not a YoloScope encrypted report, a version this build does not read, a damaged header,
// truncated or with trailing bytes, sealed with a passphrase but given a key (or the reverse),
// or "wrong key or passphrase, or the file was changed" when authentication fails.
FileMap open_report(std::string_view sealed, const ReportKey& key, const std::string& name);

}  // namespace ys
