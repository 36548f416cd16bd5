#include "session/report_sharing.h"

#include <filesystem>

#include "core/error.h"
#include "core/file_io.h"
#include "report/report_archive.h"
#include "report/report_crypto.h"
#include "report/report_key.h"
#include "share/aws_credentials.h"
#include "share/s3_client.h"

namespace ys {

namespace fs = std::filesystem;

namespace {

S3PutOptions put_options(const ReportSharingOptions& o) {
  S3PutOptions put;
  put.server_side_encryption = o.server_side_encryption;
  put.deadline = o.upload_deadline;
  return put;
}

}  // namespace

void check_report_sharing(const ReportSharingOptions& options, const EnvLookup& getenv) {
  if (options.encrypt && !report_key_configured(options.key_file, getenv))
    fail(ErrorKind::kInvalidArgument,
         "report_encrypt=True needs a key: set YOLOSCOPE_REPORT_KEY (openssl rand -hex 32), "
         "YOLOSCOPE_REPORT_PASSPHRASE, or report_key_file=");
  if (!options.upload_to.empty()) {
    parse_s3_url(options.upload_to);
    aws_settings_from(getenv);
  }
}

ReportSharingOutcome share_finished_report(const std::string& profile_dir,
                                           const ReportSharingOptions& options,
                                           const EnvLookup& getenv) {
  ReportSharingOutcome out;
  if (options.encrypt) {
    const ReportKey key = report_key_from(options.key_file, getenv);
    const FileMap files = read_folder(profile_dir);
    out.sealed_path = sealed_report_path(profile_dir);
    write_file_atomic(out.sealed_path, seal_report(files, key),
                      cat("cannot write the encrypted report ", out.sealed_path));
    out.lines.push_back(cat("Encrypted report saved to ", out.sealed_path,
                            " (AES-256-GCM, key from ", key.source, ")"));
    if (!options.keep_plain) {
      fs::remove_all(profile_dir);
      out.plain_removed = true;
    }
  }
  if (options.upload_to.empty()) return out;

  const AwsSettings aws = aws_settings_from(getenv);
  S3Location dest = parse_s3_url(options.upload_to);
  std::vector<std::string> locals;
  if (!out.sealed_path.empty()) {
    locals.push_back(out.sealed_path);
  } else {
    // A plain report goes up as its folder: <prefix>profile/<file>.
    if (dest.key.empty() || dest.key.back() == '/')
      dest.key += fs::path(profile_dir).filename().string() + "/";
    for (const auto& entry : fs::recursive_directory_iterator(profile_dir))
      if (entry.is_regular_file()) locals.push_back(entry.path().string());
  }
  for (const std::string& local : locals) {
    S3Location file_dest = dest;
    if (out.sealed_path.empty()) {
      const std::string rel = fs::path(local).lexically_relative(profile_dir).generic_string();
      file_dest.key = dest.key + fs::path(rel).parent_path().generic_string();
      if (!file_dest.key.empty() && file_dest.key.back() != '/') file_dest.key += '/';
    }
    const S3PutResult r = s3_upload_file(aws, local, file_dest, put_options(options));
    out.lines.push_back(r.ok ? cat("Report ", r.message)
                             : cat("Report ", r.message, "; the local copy ", local, " is kept"));
    if (!r.ok) {
      out.upload_failed = true;
      break;
    }
  }
  return out;
}

}  // namespace ys
