// What happens to a finished report folder after the run: sealed into profile.ysr with the plain
// folder removed (or kept on request), and uploaded to the loopback S3 of tests/share: the .ysr,
// or each file of a plain folder under <prefix>profile/. A missing key or a malformed address is
// refused by the check made before the run. Uploads skip without node and npm.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/error.h"
#include "core/file_io.h"
#include "report/report_crypto.h"
#include "report/report_key.h"
#include "session/report_sharing.h"
#include "share/s3_front_process.h"

namespace ys {
namespace {

namespace fs = std::filesystem;
using testing::S3Front;

constexpr const char* kKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string http_get(const std::string& url) {
  std::string body;
  CURL* h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(h);
  curl_easy_cleanup(h);
  return body;
}

class ReportSharing : public ::testing::Test {
 protected:
  void SetUp() override {
    run_ = fs::temp_directory_path() / ("ys_sharing_" + std::to_string(getpid()));
    fs::remove_all(run_);
    fs::create_directories(run_ / "profile/sub");
    std::ofstream(run_ / "profile/report.html") << "<p>r</p>";
    std::ofstream(run_ / "profile/sub/layers.csv") << "a,b\n";
  }
  void TearDown() override { fs::remove_all(run_); }

  EnvLookup env(const std::string& endpoint = "") {
    vars_ = {{"YOLOSCOPE_REPORT_KEY", kKey},
             {"AWS_ACCESS_KEY_ID", S3Front::kAccessKey},
             {"AWS_SECRET_ACCESS_KEY", S3Front::kSecret},
             {"AWS_REGION", "us-east-1"},
             {"AWS_ENDPOINT_URL", endpoint}};
    return [this](const char* k) -> const char* {
      const auto it = vars_.find(k);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

  fs::path run_;
  std::map<std::string, std::string> vars_;
};

TEST_F(ReportSharing, SealsAndRemovesThePlainFolderUnlessAskedToKeepIt) {
  ReportSharingOptions o;
  o.encrypt = true;
  ReportSharingOutcome out = share_finished_report((run_ / "profile").string(), o, env());
  EXPECT_EQ(out.sealed_path, (run_ / "profile.ysr").string());
  EXPECT_TRUE(out.plain_removed);
  EXPECT_FALSE(fs::exists(run_ / "profile"));
  const FileMap files =
      open_report(read_file_bytes(out.sealed_path), report_key_from("", env()), out.sealed_path);
  EXPECT_EQ(files.at("sub/layers.csv"), "a,b\n");

  fs::create_directories(run_ / "profile");
  std::ofstream(run_ / "profile/report.html") << "<p>again</p>";
  o.keep_plain = true;
  out = share_finished_report((run_ / "profile").string(), o, env());
  EXPECT_FALSE(out.plain_removed);
  EXPECT_TRUE(fs::exists(run_ / "profile/report.html"));
}

TEST_F(ReportSharing, APlainFolderIsUploadedFileByFile) {
  S3Front front;
  if (std::string why = front.start(); !why.empty()) GTEST_SKIP() << why;
  ReportSharingOptions o;
  o.upload_to = "s3://reports/cam7/";
  const ReportSharingOutcome out =
      share_finished_report((run_ / "profile").string(), o, env(front.endpoint()));
  ASSERT_FALSE(out.upload_failed) << (out.lines.empty() ? "" : out.lines.back());
  EXPECT_EQ(out.lines.size(), 2u);
  EXPECT_EQ(http_get(front.endpoint() + "/__object/reports/cam7/profile/report.html"), "<p>r</p>");
  EXPECT_EQ(http_get(front.endpoint() + "/__object/reports/cam7/profile/sub/layers.csv"), "a,b\n");
}

TEST_F(ReportSharing, SseIsAskedAndStillSigned) {
  S3Front front;
  if (std::string why = front.start(); !why.empty()) GTEST_SKIP() << why;
  ReportSharingOptions o;
  o.encrypt = true;
  o.upload_to = "s3://reports/sse/";
  o.server_side_encryption = "AES256";
  const ReportSharingOutcome out =
      share_finished_report((run_ / "profile").string(), o, env(front.endpoint()));
  ASSERT_FALSE(out.upload_failed) << out.lines.back();
  EXPECT_EQ(http_get(front.endpoint() + "/__object/reports/sse/profile.ysr"),
            read_file_bytes(out.sealed_path));
  EXPECT_NE(http_get(front.endpoint() + "/__stats").find("x-amz-server-side-encryption"),
            std::string::npos);
}

TEST_F(ReportSharing, TheCheckBeforeTheRunRefusesWhatCannotWork) {
  ReportSharingOptions o;
  o.encrypt = true;
  EXPECT_NO_THROW(check_report_sharing(o, env()));
  vars_.clear();
  auto none = [](const char*) -> const char* { return nullptr; };
  EXPECT_THROW(check_report_sharing(o, none), Error);
  o.encrypt = false;
  o.upload_to = "s3:/reports";
  EXPECT_THROW(check_report_sharing(o, env()), Error);
  o.upload_to = "s3://reports/x/";
  EXPECT_THROW(check_report_sharing(o, none), Error);  // no credentials
}

}  // namespace
}  // namespace ys
