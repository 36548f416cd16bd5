// `yolo report encrypt dir=<run>/profile`, `yolo report decrypt file=<run>/profile.ysr
// out=<new folder>` (report/report_crypto.h) and `yolo report upload file=... to=s3://...`
// (share/s3_client.h) on existing reports.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/file_io.h"
#include "report/report_archive.h"
#include "report/report_crypto.h"
#include "report/report_key.h"
#include "share/aws_credentials.h"
#include "share/s3_client.h"

namespace ys {

namespace {

const char* process_env(const char* name) {
  return std::getenv(name);
}

}  // namespace

int run_report_encrypt(const Config& c) {
  const std::string dir = c.get_string("dir");
  const std::string out =
      c.get_string("out").empty() ? sealed_report_path(dir) : c.get_string("out");
  std::error_code ec;
  if (std::filesystem::exists(out, ec) && !c.get_bool("exist_ok"))
    fail(ErrorKind::kInvalidArgument, "out=", out,
         " already exists; choose another out= or pass exist_ok=True to replace it");
  const ReportKey key = report_key_from(c.get_string("report_key_file"), process_env);
  const FileMap files = read_folder(dir);
  write_file_atomic(out, seal_report(files, key), cat("cannot write ", out));
  std::cout << "Encrypted " << files.size() << " files of " << dir << " into " << out
            << " (AES-256-GCM, key from " << key.source << "). The plain folder is kept; "
            << "remove it once the encrypted copy is where it should be.\n";
  return kExitOk;
}

int run_report_decrypt(const Config& c) {
  const std::string file = c.get_string("file"), out = c.get_string("out");
  const ReportKey key = report_key_from(c.get_string("report_key_file"), process_env);
  const FileMap files = open_report(read_file_bytes(file), key, file);
  write_folder(out, files);
  std::cout << "Decrypted " << file << " into " << out << " (" << files.size() << " files)\n";
  return kExitOk;
}

ReportSharingOptions report_sharing_options(const Config& c) {
  ReportSharingOptions o;
  o.encrypt = c.get_bool("report_encrypt");
  o.keep_plain = c.get_bool("report_keep_plain");
  o.key_file = c.get_string("report_key_file");
  o.upload_to = c.get_string("report_upload");
  o.server_side_encryption = c.get_string("s3_sse");
  if (!o.server_side_encryption.empty() && o.server_side_encryption != "AES256" &&
      o.server_side_encryption != "aws:kms")
    fail(ErrorKind::kInvalidArgument, "s3_sse=", o.server_side_encryption,
         ": S3 knows AES256 and aws:kms");
  o.upload_deadline =
      std::chrono::milliseconds(static_cast<long>(c.get_float("upload_timeout") * 1000));
  return o;
}

int run_report_upload(const Config& c) {
  const std::string file = c.get_string("file");
  const S3Location dest = parse_s3_url(c.get_string("to"));
  const AwsSettings aws = aws_settings_from(process_env);
  const ReportSharingOptions sharing = report_sharing_options(c);
  S3PutOptions put;
  put.server_side_encryption = sharing.server_side_encryption;
  put.deadline = sharing.upload_deadline;
  const S3PutResult r = s3_upload_file(aws, file, dest, put);
  if (!r.ok) {
    std::cerr << "yolo: error: " << r.message << "; the local file " << file << " is kept\n";
    return kExitPartial;
  }
  std::cout << "Report " << r.message << "\n";
  return kExitOk;
}

}  // namespace ys
