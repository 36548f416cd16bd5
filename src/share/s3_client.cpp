#include "share/s3_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"

namespace ys {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// An answer body is an S3 error document of a few hundred bytes; more is not kept.
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

struct CurlFree {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::string hex_digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  YS_CHECK(EVP_Digest(data.data(), data.size(), out, &n, md, nullptr) == 1, "digest failed");
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex += digits[out[i] >> 4];
    hex += digits[out[i] & 15];
  }
  return hex;
}

// RFC 3986 unreserved characters and '/' stay; everything else is %XX, as SigV4's canonical URI
// for S3 wants the key encoded exactly once.
std::string encode_key(const std::string& key) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string object_url(const AwsSettings& aws, const std::string& bucket, const std::string& key) {
  // A custom endpoint (MinIO, Ceph, a test server) gets path-style addressing; AWS itself gets
  // virtual-hosted style unless a '.' in the bucket would break its TLS wildcard certificate.
  if (!aws.endpoint_url.empty()) return cat(aws.endpoint_url, "/", bucket, "/", encode_key(key));
  if (bucket.find('.') == std::string::npos)
    return cat("https://", bucket, ".s3.", aws.region, ".amazonaws.com/", encode_key(key));
  return cat("https://s3.", aws.region, ".amazonaws.com/", bucket, "/", encode_key(key));
}

// The text of <tag>...</tag> in an S3 error document, or "".
std::string xml_field(const std::string& xml, const std::string& tag) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const auto b = xml.find(open);
  if (b == std::string::npos) return {};
  const auto e = xml.find(close, b + open.size());
  if (e == std::string::npos) return {};
  std::string text = xml.substr(b + open.size(), std::min<std::size_t>(e - b - open.size(), 300));
  for (char& c : text)
    if (c < 0x20 || c == 0x7f) c = ' ';
  return text;
}

struct Answer {
  std::string body;
  std::string etag;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* a = static_cast<Answer*>(user);
  const size_t bytes = size * n;
  if (a->body.size() < kMaxAnswerBytes)
    a->body.append(data, std::min(bytes, kMaxAnswerBytes - a->body.size()));
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  const size_t bytes = size * n;
  std::string line(data, bytes);
  if (line.size() > 5) {
    std::string name = line.substr(0, 5);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == "etag:") {
      std::string v = line.substr(5);
      v.erase(std::remove_if(v.begin(), v.end(),
                             [](char c) { return c == '"' || c == ' ' || c == '\r' || c == '\n'; }),
              v.end());
      static_cast<Answer*>(user)->etag = v;
    }
  }
  return bytes;
}

bool retryable(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return true;
    default:
      return false;
  }
}

std::once_flag g_curl_once;

struct Attempt {
  bool done = false;  // success, or a failure that a retry cannot fix
  S3PutResult result;
};

Attempt put_once(const AwsSettings& aws, const std::string& bucket, const std::string& key,
                 std::string_view body, const S3PutOptions& options, const std::string& md5,
                 milliseconds budget) {
  std::unique_ptr<CURL, CurlFree> h(curl_easy_init());
  YS_CHECK(h, "curl_easy_init failed");
  const std::string url = object_url(aws, bucket, key);
  const std::string sigv4 = cat("aws:amz:", aws.region, ":s3");
  curl_slist* raw = nullptr;
  auto add = [&raw](const std::string& header) {
    curl_slist* next = curl_slist_append(raw, header.c_str());
    YS_CHECK(next, "curl_slist_append failed");
    raw = next;
  };
  add("Content-Type: " + options.content_type);
  add("x-amz-content-sha256: " + hex_digest(EVP_sha256(), body));
  if (!aws.session_token.empty()) add("x-amz-security-token: " + aws.session_token);
  if (!options.server_side_encryption.empty())
    add("x-amz-server-side-encryption: " + options.server_side_encryption);
  // No "Expect:" to suppress 100-continue: libcurl 7.88 would list the removed header among the
  // signed ones and every request would fail its signature check (the loopback S3 caught it).
  std::unique_ptr<curl_slist, SlistFree> headers(raw);

  Answer answer;
  char curl_error[CURL_ERROR_SIZE] = {};
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  // The body as POSTFIELDS, so that libcurl's signer hashes the same bytes we declare.
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(c, CURLOPT_USERNAME, aws.access_key_id.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, aws.secret_access_key.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long>(1, budget.count())));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::clamp<long>(budget.count(), 1, 10000)));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &answer);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);

  Attempt a;
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    a.result.error_code = code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "connection failed";
    a.result.message = cat("no answer from ", url.substr(0, url.find('/', 8)), ": ",
                           curl_error[0] ? curl_error : curl_easy_strerror(code));
    a.done = !retryable(code);
    return a;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.result.http_status);
  a.result.etag = answer.etag;
  const long status = a.result.http_status;
  if (status >= 200 && status < 300) {
    // A KMS-encrypted object's ETag is not its MD5; nor is a multipart upload's ("...-N").
    const bool etag_is_md5 =
        options.server_side_encryption != "aws:kms" && answer.etag.find('-') == std::string::npos;
    if (etag_is_md5 && answer.etag != md5) {
      a.result.error_code = "BadDigest";
      a.result.message = cat("the stored object's ETag ", answer.etag.substr(0, 64),
                             " is not the MD5 of the bytes sent (", md5, ")");
      return a;
    }
    a.result.ok = true;
    a.done = true;
    return a;
  }
  a.result.error_code = xml_field(answer.body, "Code");
  if (a.result.error_code.empty()) a.result.error_code = cat("HTTP ", status);
  const std::string text = xml_field(answer.body, "Message");
  a.result.message = cat("HTTP ", status, " ", a.result.error_code, text.empty() ? "" : ": ", text);
  a.done = status < 500;
  return a;
}

}  // namespace

S3Location parse_s3_url(const std::string& url) {
  constexpr std::string_view kScheme = "s3://";
  if (url.compare(0, kScheme.size(), kScheme) != 0)
    fail(ErrorKind::kInvalidArgument, "'", url, "' is not an S3 address: use s3://bucket/prefix/");
  const std::string rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  S3Location loc{rest.substr(0, slash), slash == std::string::npos ? "" : rest.substr(slash + 1)};
  const bool name_ok = loc.bucket.size() >= 3 && loc.bucket.size() <= 63 &&
                       std::all_of(loc.bucket.begin(), loc.bucket.end(), [](char c) {
                         return std::islower(c) || std::isdigit(c) || c == '.' || c == '-';
                       });
  if (!name_ok)
    fail(ErrorKind::kInvalidArgument, "'", url, "': '", loc.bucket,
         "' is not an S3 bucket name (3 to 63 characters of a-z, 0-9, '.' and '-')");
  return loc;
}

std::string s3_object_key(const S3Location& dest, const std::string& file_name) {
  if (dest.key.empty() || dest.key.back() == '/') return dest.key + file_name;
  return dest.key;
}

S3PutResult s3_put_object(const AwsSettings& aws, const std::string& bucket, const std::string& key,
                          std::string_view body, const S3PutOptions& options) {
  std::call_once(g_curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string md5 = hex_digest(EVP_md5(), body);
  const auto deadline = Clock::now() + options.deadline;
  std::minstd_rand jitter(std::random_device{}());
  milliseconds backoff = options.first_backoff;
  Attempt a;
  int attempts = 0;
  while (attempts < options.max_attempts) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    ++attempts;
    a = put_once(aws, bucket, key, body, options, md5, left);
    if (a.done) break;
    // Full jitter: a wait anywhere up to the backoff, so that many clients do not retry in step.
    const milliseconds wait(
        std::uniform_int_distribution<long>(backoff.count() / 2, backoff.count())(jitter));
    if (attempts >= options.max_attempts || Clock::now() + wait >= deadline) break;
    std::this_thread::sleep_for(wait);
    backoff *= 2;
  }
  S3PutResult r = a.result;
  r.attempts = attempts;
  const std::string where = cat("s3://", bucket, "/", key);
  if (r.ok) {
    r.message = cat("uploaded to ", where, " (ETag ", r.etag, ")");
  } else {
    if (r.error_code.empty()) r.error_code = "timeout";
    r.message = cat("upload to ", where, " failed after ", attempts,
                    attempts == 1 ? " attempt" : " attempts", " (bucket ", bucket, ", key ", key,
                    ", S3 error code ", r.error_code,
                    "): ", r.message.empty() ? "the deadline passed" : r.message);
  }
  return r;
}

S3PutResult s3_upload_file(const AwsSettings& aws, const std::string& path, const S3Location& dest,
                           const S3PutOptions& options) {
  const std::string body = read_file_bytes(path);
  const std::string name = std::filesystem::path(path).filename().string();
  return s3_put_object(aws, dest.bucket, s3_object_key(dest, name), body, options);
}

}  // namespace ys
