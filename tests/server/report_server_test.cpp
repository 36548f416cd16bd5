// ReportServer: serves one folder read-only on loopback, and nothing outside it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/error.h"
#include "server/report_server.h"

namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// tmp/<test>/served holds the report; tmp/<test>/secret.txt is beside it, outside the folder.
class ReportServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / "yoloscope_server_test" /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(base_);
    served_ = base_ / "served";
    write(served_ / "report.html", "<!DOCTYPE html><title>report</title>");
    write(served_ / "summary.json", "{\"schema\":\"yoloscope.profile\"}");
    write(served_ / "sub" / "layers.csv", "id,ms\n0,1.5\n");
    write(base_ / "secret.txt", "secret");
  }
  void TearDown() override { fs::remove_all(base_); }

  static httplib::Client client(const ys::ReportServer& server) {
    httplib::Client cli(server.host(), server.port());
    // Send paths exactly as written, so the tests control every byte of the request target.
    cli.set_url_encode(false);
    return cli;
  }
  static int status(const ys::ReportServer& server, const std::string& path) {
    auto res = client(server).Get(path);
    return res ? res->status : -1;
  }

  fs::path base_, served_;
};

TEST_F(ReportServerTest, ServesTheFolderWithContentTypes) {
  ys::ReportServer server(served_.string());
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/report.html");
  auto cli = client(server);

  auto res = cli.Get("/report.html");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "<!DOCTYPE html><title>report</title>");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");

  res = cli.Get("/summary.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");

  res = cli.Get("/sub/layers.csv");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "id,ms\n0,1.5\n");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/csv; charset=utf-8");

  res = cli.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 302);
  EXPECT_EQ(res->get_header_value("Location"), "/report.html");

  res = cli.Head("/report.html");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(status(server, "/missing.html"), 404);
}

TEST_F(ReportServerTest, RefusesEveryPathOutsideTheFolder) {
  fs::create_symlink(base_ / "secret.txt", served_ / "link.txt");
  fs::create_directory_symlink(base_, served_ / "linkdir");
  ys::ReportServer server(served_.string());
  for (const char* path :
       {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "//etc/passwd",
        "/etc/passwd", "/link.txt", "/linkdir/secret.txt", "/report.html%00.txt"}) {
    auto res = client(server).Get(path);
    if (!res) continue;  // refusing to parse the request at all is fine too
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("secret"), std::string::npos) << path;
  }
}

TEST_F(ReportServerTest, NeverListsAFolder) {
  ys::ReportServer server(served_.string());
  for (const char* path : {"/sub", "/sub/", "/sub/.", "/."}) {
    auto res = client(server).Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("layers.csv"), std::string::npos) << path;
  }
}

TEST_F(ReportServerTest, IsReadOnly) {
  ys::ReportServer server(served_.string());
  auto res = client(server).Post("/report.html", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = client(server).Delete("/report.html");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_TRUE(fs::exists(served_ / "report.html"));
}

// /proc/net/tcp lists listening sockets as "local_address:port" in hex; 0100007F is 127.0.0.1.
TEST_F(ReportServerTest, BindsLoopbackOnlyByDefault) {
  ys::ReportServer server(served_.string());
  std::ifstream tcp("/proc/net/tcp");
  ASSERT_TRUE(tcp) << "/proc/net/tcp unreadable";
  std::ostringstream port_hex;
  port_hex << std::uppercase << std::hex << server.port();
  std::string wanted_port = port_hex.str();
  wanted_port.insert(0, 4 - wanted_port.size(), '0');
  std::string line, local, listening;
  std::getline(tcp, line);  // header
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, addr, remote, state;
    fields >> slot >> addr >> remote >> state;
    if (state == "0A" && addr.substr(addr.find(':') + 1) == wanted_port) listening += addr + " ";
  }
  EXPECT_EQ(listening, "0100007F:" + wanted_port + " ");
}

TEST_F(ReportServerTest, PortInUseGivesAClearError) {
  ys::ReportServer first(served_.string());
  try {
    ys::ReportServer second(served_.string(), "127.0.0.1", first.port());
    FAIL() << "expected ys::Error";
  } catch (const ys::Error& e) {
    EXPECT_EQ(e.kind(), ys::ErrorKind::kIo);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << msg;
  }
}

TEST_F(ReportServerTest, RejectsAMissingFolder) {
  try {
    ys::ReportServer server((base_ / "nope").string());
    FAIL() << "expected ys::Error";
  } catch (const ys::Error& e) {
    EXPECT_EQ(e.kind(), ys::ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST_F(ReportServerTest, ServesMetricsWhenAsked) {
  ys::ReportServer server(served_.string());
  EXPECT_EQ(status(server, "/metrics"), 404);
  server.set_metrics([] { return std::string("yoloscope_frames_total 42\n"); });
  auto res = client(server).Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "yoloscope_frames_total 42\n");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
}

TEST_F(ReportServerTest, WaitReturnsOnSigterm) {
  ys::ReportServer server(served_.string());
  std::thread killer([] {
    // Signal only once wait() has put its handler in place, or SIGTERM would end the test run.
    // Up to a minute: a loaded CI machine may be slow to reach wait().
    for (int i = 0; i < 60000; ++i) {
      struct sigaction current {};
      sigaction(SIGTERM, nullptr, &current);
      if (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    kill(getpid(), SIGTERM);
  });
  ::testing::internal::CaptureStdout();
  server.wait();
  const std::string printed = ::testing::internal::GetCapturedStdout();
  killer.join();
  EXPECT_NE(printed.find("at " + server.url() + " (Ctrl+C to stop)"), std::string::npos) << printed;
  EXPECT_EQ(status(server, "/report.html"), 200)
      << "the server stops at destruction, not at wait()";
}

}  // namespace
