// AWS credentials, region and endpoint found the way the AWS CLI and SDKs find them, for the S3
// upload (s3_client.h): AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN first; else
// the profile AWS_PROFILE (or "default") of the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials). The region from AWS_REGION,
// AWS_DEFAULT_REGION, or the profile in the config file (AWS_CONFIG_FILE or ~/.aws/config), else
// us-east-1. The endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for S3-compatible servers.
// The secret and the session token are wiped on destruction and never enter a message: `source`
// says where they came from.
#pragma once

#include <functional>
#include <string>

namespace ys {

struct AwsSettings {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string region;
  std::string endpoint_url;  // empty: AWS's own S3 endpoint for the region
  std::string source;        // "environment" or "profile 'x' of /home/u/.aws/credentials"

  AwsSettings() = default;
  AwsSettings(const AwsSettings&) = default;
  AwsSettings& operator=(const AwsSettings&) = default;
  ~AwsSettings();
};

// Throws ys::Error (kInvalidArgument) when no credentials are found or only half of a key pair,
// naming the variables or the file and profile looked at, never a value.
AwsSettings aws_settings_from(const std::function<const char*(const char*)>& getenv);

}  // namespace ys
