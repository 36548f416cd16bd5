// The S3 upload against a loopback S3 that recomputes every SigV4 signature with AWS's own signer
// (s3_front.js): correct credentials store the object (read back byte for byte, and an encrypted
// report decrypts), a wrong secret is refused with S3's code and never shown, 500 twice then 200
// succeeds on the third attempt, and an unreachable or silent endpoint fails within the deadline.
// Skips with the reason when node or the npm packages are missing. Also: where credentials and
// addresses come from.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/error.h"
#include "report/report_crypto.h"
#include "share/aws_credentials.h"
#include "share/s3_client.h"
#include "share/s3_front_process.h"

namespace ys {
namespace {

using testing::S3Front;
using Clock = std::chrono::steady_clock;

AwsSettings settings_for(const std::string& endpoint, const std::string& secret) {
  AwsSettings s;
  s.access_key_id = S3Front::kAccessKey;
  s.secret_access_key = secret;
  s.region = "us-east-1";
  s.endpoint_url = endpoint;
  s.source = "test";
  return s;
}

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET without a signature, through the front's read-back hook.
std::string http_get(const std::string& url, long* status = nullptr) {
  std::string body;
  CURL* h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(h);
  if (status) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  curl_easy_cleanup(h);
  return body;
}

class S3Upload : public ::testing::Test {
 protected:
  void start(int fail_first = 0) {
    if (std::string why = front_.start(fail_first); !why.empty()) GTEST_SKIP() << why;
  }
  S3Front front_;
};

TEST_F(S3Upload, CorrectCredentialsStoreTheEncryptedReport) {
  start();
  if (IsSkipped()) return;
  ReportKey key;
  key.source = "test";
  key.key.bytes.fill(7);
  const FileMap files = {{"report.html", "<html>r</html>"}, {"summary.json", "{}"}};
  const std::string sealed = seal_report(files, key);
  const S3PutResult r = s3_put_object(settings_for(front_.endpoint(), S3Front::kSecret),
                                      S3Front::kBucket, "team/run 1/profile.ysr", sealed, {});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.http_status, 200);
  long status = 0;
  const std::string stored =
      http_get(front_.endpoint() + "/__object/reports/team/run%201/profile.ysr", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(stored, sealed);
  EXPECT_EQ(open_report(stored, key, "downloaded"), files);
  const std::string stats = http_get(front_.endpoint() + "/__stats");
  EXPECT_NE(stats.find("\"verified\":1"), std::string::npos) << stats;
  EXPECT_NE(stats.find("x-amz-content-sha256"), std::string::npos) << stats;
}

TEST_F(S3Upload, ABodyOverOneMegabyteIsSignedToo) {
  // libcurl switches to "Expect: 100-continue" above 1 MiB; the signature must still verify.
  start();
  if (IsSkipped()) return;
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  const S3PutResult r = s3_put_object(settings_for(front_.endpoint(), S3Front::kSecret),
                                      S3Front::kBucket, "big.bin", big, {});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(http_get(front_.endpoint() + "/__object/reports/big.bin"), big);
}

TEST_F(S3Upload, AWrongSecretIsRefusedWithS3sCodeAndNeverShown) {
  start();
  if (IsSkipped()) return;
  const std::string wrong = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGWRONGKEY";
  const S3PutResult r = s3_put_object(settings_for(front_.endpoint(), wrong), S3Front::kBucket,
                                      "p/profile.ysr", "bytes", {});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.attempts, 1);  // a 4xx is final
  EXPECT_EQ(r.http_status, 403);
  EXPECT_EQ(r.error_code, "SignatureDoesNotMatch");
  EXPECT_NE(r.message.find("bucket reports"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("key p/profile.ysr"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("SignatureDoesNotMatch"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find(wrong), std::string::npos);
  EXPECT_EQ(r.message.find(S3Front::kSecret), std::string::npos);
  long status = 0;
  http_get(front_.endpoint() + "/__object/reports/p/profile.ysr", &status);
  EXPECT_EQ(status, 404);
}

TEST_F(S3Upload, TwoServerErrorsThenSuccessIsRetried) {
  start(2);
  if (IsSkipped()) return;
  S3PutOptions o;
  o.first_backoff = std::chrono::milliseconds(50);
  const S3PutResult r = s3_put_object(settings_for(front_.endpoint(), S3Front::kSecret),
                                      S3Front::kBucket, "retry.bin", "payload", o);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(http_get(front_.endpoint() + "/__object/reports/retry.bin"), "payload");
}

// A port on which nothing listens: connections are refused at once.
int closed_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

TEST(S3UploadOffline, AnUnreachableEndpointFailsWithinTheDeadline) {
  S3PutOptions o;
  o.deadline = std::chrono::milliseconds(1500);
  o.first_backoff = std::chrono::milliseconds(100);
  const auto t0 = Clock::now();
  const S3PutResult r =
      s3_put_object(settings_for("http://127.0.0.1:" + std::to_string(closed_port()), "s"),
                    "bucket", "k", "x", o);
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(2500));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, "connection failed");
  EXPECT_EQ(r.attempts, 4);
  EXPECT_NE(r.message.find("bucket bucket, key k"), std::string::npos) << r.message;
}

TEST(S3UploadOffline, ASilentEndpointTimesOutWithinTheDeadline) {
  // Listening but never accepting: the kernel completes the handshake, no answer ever comes.
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 16), 0);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  S3PutOptions o;
  o.deadline = std::chrono::milliseconds(2000);
  const auto t0 = Clock::now();
  const S3PutResult r =
      s3_put_object(settings_for("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)), "s"),
                    "bucket", "k", "x", o);
  const auto took = Clock::now() - t0;
  close(s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, "timeout");
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_LT(took, std::chrono::milliseconds(3500));
}

TEST(S3Url, ParsesBucketsAndKeys) {
  EXPECT_EQ(parse_s3_url("s3://reports/team/").key, "team/");
  EXPECT_EQ(s3_object_key(parse_s3_url("s3://reports/team/"), "profile.ysr"), "team/profile.ysr");
  EXPECT_EQ(s3_object_key(parse_s3_url("s3://reports"), "profile.ysr"), "profile.ysr");
  EXPECT_EQ(s3_object_key(parse_s3_url("s3://reports/x.ysr"), "profile.ysr"), "x.ysr");
  for (const char* bad : {"reports/x", "s3://", "s3://UPPER/x", "s3://ab/x", "http://a/b"})
    EXPECT_THROW(parse_s3_url(bad), Error) << bad;
}

TEST(AwsSettings, ComeFromTheEnvironmentOrTheProfileFile) {
  const std::string dir = ::testing::TempDir() + "ys_aws_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/credentials") << "[default]\naws_access_key_id = AKDEF\n"
                                           "aws_secret_access_key = secretdef\n"
                                           "[work]\naws_access_key_id=AKWORK\n"
                                           "aws_secret_access_key=secretwork\n"
                                           "aws_session_token=tok\n";
    std::ofstream(dir + "/config") << "[profile work]\nregion = eu-west-3\n";
  }
  std::map<std::string, std::string> env = {{"AWS_SHARED_CREDENTIALS_FILE", dir + "/credentials"},
                                            {"AWS_CONFIG_FILE", dir + "/config"},
                                            {"AWS_PROFILE", "work"}};
  auto getenv = [&env](const char* k) -> const char* {
    const auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  AwsSettings s = aws_settings_from(getenv);
  EXPECT_EQ(s.access_key_id, "AKWORK");
  EXPECT_EQ(s.session_token, "tok");
  EXPECT_EQ(s.region, "eu-west-3");
  env["AWS_ACCESS_KEY_ID"] = "AKENV";
  env["AWS_SECRET_ACCESS_KEY"] = "secretenv";
  env["AWS_REGION"] = "us-west-2";
  env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000/";
  s = aws_settings_from(getenv);
  EXPECT_EQ(s.access_key_id, "AKENV");
  EXPECT_EQ(s.region, "us-west-2");
  EXPECT_EQ(s.endpoint_url, "http://127.0.0.1:9000");
  env.erase("AWS_SECRET_ACCESS_KEY");
  try {
    aws_settings_from(getenv);
    ADD_FAILURE() << "half a key pair was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("AKENV"), std::string::npos);
  }
  env.erase("AWS_ACCESS_KEY_ID");
  env["AWS_PROFILE"] = "nobody";
  try {
    aws_settings_from(getenv);
    ADD_FAILURE() << "a missing profile was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("profile 'nobody'"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("secretwork"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ys
