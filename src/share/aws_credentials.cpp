#include "share/aws_credentials.h"

#include <openssl/crypto.h>

#include <cctype>
#include <fstream>
#include <map>
#include <string_view>

#include "core/error.h"

namespace ys {

namespace {

using GetEnv = std::function<const char*(const char*)>;
using Ini = std::map<std::string, std::map<std::string, std::string>>;

std::string env(const GetEnv& getenv, const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

// The AWS files' INI dialect: [section], key = value, # or ; comments. A missing file is empty.
Ini read_ini(const std::string& path) {
  Ini ini;
  std::ifstream in(path);
  std::string section, line;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      continue;
    }
    const auto eq = t.find('=');
    if (eq != std::string::npos) ini[section][trim(t.substr(0, eq))] = trim(t.substr(eq + 1));
  }
  return ini;
}

std::string aws_file(const GetEnv& getenv, const char* override_var, const char* name) {
  if (std::string path = env(getenv, override_var); !path.empty()) return path;
  return cat(env(getenv, "HOME"), "/.aws/", name);
}

}  // namespace

AwsSettings::~AwsSettings() {
  OPENSSL_cleanse(secret_access_key.data(), secret_access_key.size());
  OPENSSL_cleanse(session_token.data(), session_token.size());
}

AwsSettings aws_settings_from(const GetEnv& getenv) {
  AwsSettings s;
  std::string profile = env(getenv, "AWS_PROFILE");
  if (profile.empty()) profile = "default";

  s.access_key_id = env(getenv, "AWS_ACCESS_KEY_ID");
  s.secret_access_key = env(getenv, "AWS_SECRET_ACCESS_KEY");
  if (!s.access_key_id.empty() || !s.secret_access_key.empty()) {
    if (s.access_key_id.empty() || s.secret_access_key.empty())
      fail(ErrorKind::kInvalidArgument,
           "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (one is empty)");
    s.session_token = env(getenv, "AWS_SESSION_TOKEN");
    s.source = "the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables";
  } else {
    const std::string path = aws_file(getenv, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    Ini ini = read_ini(path);
    const auto& p = ini[profile];
    auto get = [&p](const char* k) {
      const auto it = p.find(k);
      return it == p.end() ? std::string() : it->second;
    };
    s.access_key_id = get("aws_access_key_id");
    s.secret_access_key = get("aws_secret_access_key");
    s.session_token = get("aws_session_token");
    for (auto& [name, section] : ini)
      for (auto& [k, v] : section) OPENSSL_cleanse(v.data(), v.size());
    s.source = cat("profile '", profile, "' of ", path);
    if (s.access_key_id.empty() || s.secret_access_key.empty())
      fail(ErrorKind::kInvalidArgument,
           "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put "
           "aws_access_key_id and aws_secret_access_key in ",
           s.source);
  }

  s.region = env(getenv, "AWS_REGION");
  if (s.region.empty()) s.region = env(getenv, "AWS_DEFAULT_REGION");
  if (s.region.empty()) {
    Ini config = read_ini(aws_file(getenv, "AWS_CONFIG_FILE", "config"));
    const std::string section = profile == "default" ? profile : "profile " + profile;
    s.region = config[section]["region"];
  }
  if (s.region.empty()) s.region = "us-east-1";
  // The region goes into libcurl's "aws:amz:<region>:s3" and the host name.
  for (unsigned char c : s.region)
    if (!(std::islower(c) || std::isdigit(c) || c == '-'))
      fail(ErrorKind::kInvalidArgument, "AWS region '", s.region,
           "' is not a region name (a-z, 0-9 and '-', i.e. eu-west-1)");

  s.endpoint_url = env(getenv, "AWS_ENDPOINT_URL_S3");
  if (s.endpoint_url.empty()) s.endpoint_url = env(getenv, "AWS_ENDPOINT_URL");
  while (!s.endpoint_url.empty() && s.endpoint_url.back() == '/') s.endpoint_url.pop_back();
  return s;
}

}  // namespace ys
