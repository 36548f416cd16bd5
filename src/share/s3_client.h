// One S3 PutObject through libcurl, signed with AWS Signature Version 4 by libcurl itself
// (CURLOPT_AWS_SIGV4). Debian 12's libcurl 7.88 does not add the x-amz-content-sha256 header S3
// requires, so it is computed and sent here. The answer is checked: a 2xx with, for single-part
// uploads without KMS, an ETag equal to the content's MD5. 5xx answers and network failures
// (timeouts, refused or dropped connections) are retried with exponential backoff until the
// attempts or the deadline run out; 4xx answers are final. Results say the bucket, the key, the
// HTTP status and S3's error code, and never a credential.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "share/aws_credentials.h"

namespace ys {

// s3://bucket/prefix/ -> {bucket, "prefix/"}; s3://bucket/name -> {bucket, "name"}.
struct S3Location {
  std::string bucket;
  std::string key;
};

// Throws ys::Error (kInvalidArgument) for anything but s3://<bucket>[/<key or prefix>] with a
// bucket name S3 accepts (3-63 characters of a-z, 0-9, '.', '-').
S3Location parse_s3_url(const std::string& url);

// The object key for a local file uploaded to `dest`: a key ending in '/' (or empty) is a prefix
// that the file name is appended to, as `aws s3 cp` does.
std::string s3_object_key(const S3Location& dest, const std::string& file_name);

struct S3PutOptions {
  std::string server_side_encryption;  // "", "AES256" or "aws:kms"
  std::string content_type = "application/octet-stream";
  std::chrono::milliseconds deadline{30000};  // all attempts and waits together
  int max_attempts = 4;
  std::chrono::milliseconds first_backoff{250};  // doubled after each failed attempt
};

struct S3PutResult {
  bool ok = false;
  int attempts = 0;
  long http_status = 0;  // 0 when no answer came
  std::string etag;
  std::string error_code;  // S3's <Code>, or a network error ("timeout", "connection failed")
  std::string message;     // for the user: bucket, key, status, code, S3's message
};

S3PutResult s3_put_object(const AwsSettings& aws, const std::string& bucket, const std::string& key,
                          std::string_view body, const S3PutOptions& options);

// Uploads the local file `path` to `dest` (s3_object_key names it). Throws ys::Error only for
// a file that cannot be read; an upload failure is in the result.
S3PutResult s3_upload_file(const AwsSettings& aws, const std::string& path, const S3Location& dest,
                           const S3PutOptions& options);

}  // namespace ys
