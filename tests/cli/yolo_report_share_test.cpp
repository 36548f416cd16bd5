// `yolo report encrypt|decrypt|upload` as a user runs them (issue 18): a round trip byte for byte;
// a wrong key, a truncated file or a flipped bit exit 1 and write nothing; an upload with a wrong
// secret exits 3, keeps the file and never prints the secret; an unreachable endpoint exits 3
// within upload_timeout; a profiled run with report_encrypt and report_upload seals and uploads its
// report. The uploads go to the loopback S3 of tests/share (skipped without node).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli/yolo_runner.h"
#include "share/s3_front_process.h"

namespace ys {
namespace {

namespace fs = std::filesystem;
using testing::S3Front;

constexpr const char* kKey = "8f1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff0";
const std::string kKeyEnv = std::string("export YOLOSCOPE_REPORT_KEY=") + kKey + ";";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class YoloReportShare : public testing::YoloRunner {
 protected:
  void SetUp() override {
    YoloRunner::SetUp();
    fs::create_directories(dir_ / "profile/sub");
    std::ofstream(dir_ / "profile/report.html") << "<!DOCTYPE html><p>report</p>";
    std::ofstream(dir_ / "profile/summary.json") << "{\"frames\": 3}";
    std::ofstream(dir_ / "profile/sub/layers.csv", std::ios::binary) << std::string("a\0b\n", 4);
  }

  void encrypt() {
    const auto r = yolo("report encrypt dir=profile", kKeyEnv);
    ASSERT_EQ(r.code, 0) << r.output;
    ASSERT_TRUE(fs::exists(dir_ / "profile.ysr"));
  }

  std::string aws_env(const std::string& endpoint, const std::string& secret) const {
    return "export AWS_ACCESS_KEY_ID=" + std::string(S3Front::kAccessKey) +
           " AWS_SECRET_ACCESS_KEY='" + secret +
           "' AWS_REGION=us-east-1 AWS_ENDPOINT_URL=" + endpoint +
           " AWS_PROFILE= AWS_SESSION_TOKEN=;";
  }
};

TEST_F(YoloReportShare, EncryptAndDecryptRoundTripByteForByte) {
  encrypt();
  const auto r = yolo("report decrypt file=profile.ysr out=plain", kKeyEnv);
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* f : {"report.html", "summary.json", "sub/layers.csv"})
    EXPECT_EQ(read(dir_ / "plain" / f), read(dir_ / "profile" / f)) << f;
  EXPECT_FALSE(r.has(kKey));
}

TEST_F(YoloReportShare, AWrongKeyATruncatedFileOrAFlippedBitExitOneAndWriteNothing) {
  encrypt();
  const std::string other =
      "export "
      "YOLOSCOPE_REPORT_KEY=0000000000000000000000000000000000000000000000000000000000000001;";
  auto r = yolo("report decrypt file=profile.ysr out=plain", other);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("wrong key or passphrase")) << r.output;
  EXPECT_FALSE(r.has(kKey));

  const std::string sealed = read(dir_ / "profile.ysr");
  std::ofstream(dir_ / "cut.ysr", std::ios::binary) << sealed.substr(0, sealed.size() - 10);
  r = yolo("report decrypt file=cut.ysr out=plain", kKeyEnv);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("truncated")) << r.output;

  std::string flipped = sealed;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);
  std::ofstream(dir_ / "flip.ysr", std::ios::binary) << flipped;
  r = yolo("report decrypt file=flip.ysr out=plain", kKeyEnv);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "plain"));
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find("plain"), std::string::npos) << entry.path();

  r = yolo("report decrypt file=profile.ysr out=plain", "unset YOLOSCOPE_REPORT_KEY;");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(r.has("no report key")) << r.output;
}

TEST_F(YoloReportShare, APassphraseIsStretchedAndChecked) {
  const std::string pass = "export YOLOSCOPE_REPORT_PASSPHRASE='correct horse battery';";
  ASSERT_EQ(yolo("report encrypt dir=profile", pass).code, 0);
  auto r = yolo("report decrypt file=profile.ysr out=plain",
                "export YOLOSCOPE_REPORT_PASSPHRASE='correct horse';");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_FALSE(r.has("correct horse"));
  r = yolo("report decrypt file=profile.ysr out=plain", pass);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read(dir_ / "plain/summary.json"), "{\"frames\": 3}");
}

TEST_F(YoloReportShare, UploadStoresTheFileAndAWrongSecretExitsThreeKeepingIt) {
  encrypt();
  S3Front front;
  if (std::string why = front.start(); !why.empty()) GTEST_SKIP() << why;
  auto r = yolo("report upload file=profile.ysr to=s3://reports/team/",
                aws_env(front.endpoint(), S3Front::kSecret));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(r.has("s3://reports/team/profile.ysr")) << r.output;
  EXPECT_FALSE(r.has(S3Front::kSecret));

  const std::string wrong = "wrongSECRETvalue/ShouldNeverBePrinted000";
  r = yolo("report upload file=profile.ysr to=s3://reports/other/",
           aws_env(front.endpoint(), wrong));
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_TRUE(r.has("bucket reports")) << r.output;
  EXPECT_TRUE(r.has("key other/profile.ysr")) << r.output;
  EXPECT_TRUE(r.has("SignatureDoesNotMatch")) << r.output;
  EXPECT_TRUE(r.has("is kept")) << r.output;
  EXPECT_FALSE(r.has(wrong)) << r.output;
  EXPECT_FALSE(r.has(S3Front::kSecret)) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "profile.ysr"));
}

TEST_F(YoloReportShare, AnUnreachableEndpointExitsThreeWithinTheTimeout) {
  encrypt();
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 16), 0);  // accepts connections at the kernel, never answers
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = yolo("report upload file=profile.ysr to=s3://reports/x/ upload_timeout=2",
                      aws_env("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)), "s"));
  const auto took = std::chrono::steady_clock::now() - t0;
  close(s);
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_TRUE(r.has("S3 error code timeout")) << r.output;
  EXPECT_LT(took, std::chrono::seconds(4));
  EXPECT_TRUE(fs::exists(dir_ / "profile.ysr"));
}

// The after-run hook: a profiled run seals its report, removes the plain folder and uploads it.
TEST_F(YoloReportShare, AProfiledRunSealsAndUploadsItsReport) {
  S3Front front;
  if (std::string why = front.start(); !why.empty()) GTEST_SKIP() << why;
  const std::string run =
      "predict frames=6 imgsz=64 threads=1 save=False profile=True "
      "profile_schedule=1,1,3,1 report_encrypt=True "
      "report_upload=s3://reports/runs/ name=";
  auto r = yolo(run + "ok", kKeyEnv + aws_env(front.endpoint(), S3Front::kSecret));
  ASSERT_EQ(r.code, 0) << r.output;
  const fs::path sealed = dir_ / "runs/detect/ok/profile.ysr";
  EXPECT_TRUE(fs::exists(sealed));
  EXPECT_FALSE(fs::exists(dir_ / "runs/detect/ok/profile")) << "the plain report stayed";
  EXPECT_TRUE(r.has("uploaded to s3://reports/runs/profile.ysr")) << r.output;
  ASSERT_EQ(yolo("report decrypt file=runs/detect/ok/profile.ysr out=plain", kKeyEnv).code, 0);
  EXPECT_TRUE(fs::exists(dir_ / "plain/report.html"));

  const std::string wrong = "anotherWRONGsecret/NeverPrinted0000000000";
  r = yolo(run + "bad report_keep_plain=True", kKeyEnv + aws_env(front.endpoint(), wrong));
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_TRUE(r.has("SignatureDoesNotMatch")) << r.output;
  EXPECT_FALSE(r.has(wrong)) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "runs/detect/bad/profile.ysr"));
  EXPECT_TRUE(fs::exists(dir_ / "runs/detect/bad/profile/report.html"));
}

TEST_F(YoloReportShare, AProfiledRunWithoutAKeyIsRefusedBeforeItStarts) {
  const auto r = yolo(
      "predict frames=6 imgsz=64 threads=1 save=False profile=True "
      "report_encrypt=True name=nokey",
      "unset YOLOSCOPE_REPORT_KEY YOLOSCOPE_REPORT_PASSPHRASE;");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(r.has("report_encrypt=True needs a key")) << r.output;
  EXPECT_FALSE(r.has("Report:")) << "the run went ahead: " << r.output;
}

}  // namespace
}  // namespace ys
