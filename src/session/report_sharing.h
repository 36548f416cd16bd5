// What happens to a finished report folder after a profiled run when the user asked for it:
// report_encrypt=True seals it into <run>/profile.ysr (report/report_crypto.h) and removes the
// plain folder unless report_keep_plain=True; report_upload=s3://... uploads the report (the
// .ysr, or each file of the plain folder) through share/s3_client.h. check_report_sharing() runs
// before the run, so that a missing key or a malformed address is said at once and not after
// minutes of profiling.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ys {

struct ReportSharingOptions {
  bool encrypt = false;
  bool keep_plain = false;
  std::string key_file;
  std::string upload_to;  // "" for no upload
  std::string server_side_encryption;
  std::chrono::milliseconds upload_deadline{30000};
};

using EnvLookup = std::function<const char*(const char*)>;

// Throws ys::Error (kInvalidArgument) when report_encrypt=True has no key source or
// report_upload is not an s3:// address or has no credentials.
void check_report_sharing(const ReportSharingOptions& options, const EnvLookup& getenv);

struct ReportSharingOutcome {
  std::string sealed_path;         // the .ysr, when encrypted
  bool plain_removed = false;      // the plain folder is gone
  bool upload_failed = false;      // the local report is kept; the caller exits 3
  std::vector<std::string> lines;  // what was done, for the console
};

// Encryption errors throw ys::Error (the plain folder is then kept); upload failures are
// reported in the outcome.
ReportSharingOutcome share_finished_report(const std::string& profile_dir,
                                           const ReportSharingOptions& options,
                                           const EnvLookup& getenv);

}  // namespace ys
