// ReportServer: serves one folder read-only on loopback, and nothing outside it; stands up to
// hostile clients (many ranges, slow requests, foreign Host names).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "server/report_server.h"

namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// One TCP connection to 127.0.0.1:port from a chosen loopback address. All of 127.0.0.0/8 is
// this machine, so 127.0.0.2 stands in for a second client.
class Connection {
 public:
  Connection(const std::string& from, int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, from.c_str(), &src.sin_addr);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) == 0 &&
          connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0;
  }
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool ok() const { return ok_; }
  bool send_text(const std::string& text) {
    return ok_ &&
           send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // True when the server sent something or closed within `ms`.
  bool readable_within(int ms) {
    pollfd pfd{fd_, POLLIN, 0};
    return poll(&pfd, 1, ms) > 0;
  }
  // Everything up to the server's close, within the same bound.
  std::string read_all(int limit_s = 30) {
    std::string text;
    char buf[65536];
    while (readable_within(limit_s * 1000)) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    return text;
  }
  // One response: headers, then Content-Length bytes of body or everything up to the close.
  // Gives up after `limit_s` seconds without data, a liveness bound, not a timing assertion.
  std::string read_response(int limit_s = 30) {
    std::string text;
    char buf[65536];
    for (;;) {
      const size_t head_end = text.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t cl = text.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end &&
            text.size() >= head_end + 4 + std::stoul(text.substr(cl + 16)))
          return text;
      }
      if (!readable_within(limit_s * 1000)) return text;
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return text;
      text.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return -1;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  const size_t head_end = response.find("\r\n\r\n");
  return head_end == std::string::npos ? std::string() : response.substr(head_end + 4);
}

std::string get_request(const std::string& path, const std::string& host,
                        const std::string& extra = "Connection: close\r\n") {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra + "\r\n";
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

  // Sends one raw request from `from` and returns the whole response.
  static std::string exchange(const ys::ReportServer& server, const std::string& request,
                              const std::string& from = "127.0.0.1") {
    Connection c(from, server.port());
    if (!c.ok() || !c.send_text(request)) return {};
    return c.read_response();
  }
  static std::string local_host(const ys::ReportServer& server) {
    return "127.0.0.1:" + std::to_string(server.port());
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

// What a live run adds (the dashboard at /, its JSON, /metrics): GET only, and nothing else is
// answered beyond those routes and the report folder.
TEST_F(ReportServerTest, LiveRoutesAnswerGetOnlyAndNothingElseIsServed) {
  ys::ReportServer server(served_.string());
  int polls = 0;
  server.set_route("/", "text/html; charset=utf-8", [] { return std::string("<p>live</p>"); });
  server.set_route("/live.json", "application/json",
                   [&polls] { return "{\"frames\":" + std::to_string(++polls) + "}"; });
  EXPECT_EQ(server.base_url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/");
  auto cli = client(server);
  auto res = cli.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << "a route at / replaces the redirect to the report";
  EXPECT_EQ(res->body, "<p>live</p>");
  res = cli.Get("/live.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "{\"frames\":1}");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
  res = cli.Get("/live.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "{\"frames\":2}") << "each poll calls the route again";
  EXPECT_EQ(status(server, "/report.html"), 200) << "the report folder is still served";
  for (const char* path : {"/live", "/live.json/x", "/metrics", "/api/v1/query", "/index.html"})
    EXPECT_EQ(status(server, path), 404) << path;
  res = cli.Post("/live.json", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = cli.Put("/", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = cli.Delete("/live.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = cli.Options("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(polls, 2) << "a refused method never reaches the route";
  server.set_route("/live.json", "application/json", {});
  EXPECT_EQ(status(server, "/live.json"), 404) << "an empty callback removes the route";
}

TEST_F(ReportServerTest, WithoutARootOnlyTheRoutesAreServed) {
  ys::ReportServer server("");
  server.set_metrics([] { return std::string("yoloscope_frames_total 1\n"); });
  EXPECT_TRUE(server.loopback_only());
  EXPECT_EQ(status(server, "/metrics"), 200);
  for (const char* path : {"/", "/report.html", "/etc/passwd", "/../x"})
    EXPECT_EQ(status(server, path), 404) << path;
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

// A Range header of many ranges once made httplib build a multipart body of every range in
// memory: 1,000 ranges turned 44 KB into 44 MB, 2,500 of them aborted the server on bad_alloc.
// More than one range is now ignored and the whole file sent (RFC 9110 14.2).
TEST_F(ReportServerTest, IgnoresARangeHeaderOfManyRanges) {
  const std::string big(44 * 1000, 'x');
  write(served_ / "trace.json", big);
  ys::ReportServer server(served_.string());
  for (int count : {2, 1000, 2500}) {
    std::string ranges = "bytes=0-";
    for (int i = 1; i < count; ++i) ranges += ",0-";
    auto res = client(server).Get("/trace.json", {{"Range", ranges}});
    ASSERT_TRUE(res) << count << " ranges: no answer";
    EXPECT_EQ(res->status, 200) << count << " ranges";
    EXPECT_EQ(res->body.size(), big.size()) << count << " ranges";
  }
  auto res = client(server).Get("/trace.json", {{"Range", "bytes=10-19"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 206) << "one range is still served";
  EXPECT_EQ(res->body, std::string(10, 'x'));
  EXPECT_EQ(status(server, "/report.html"), 200);
}

// Clients that send a request a byte at a time once held every worker thread (httplib's read
// timeout restarts with every byte), and nobody else was answered.
TEST_F(ReportServerTest, SlowClientsDoNotStarveOthers) {
  ys::ReportServer server(served_.string());
  if (!Connection("127.0.0.2", server.port()).ok())
    GTEST_SKIP() << "cannot connect from 127.0.0.2 (no 127.0.0.0/8 loopback here)";
  std::vector<std::unique_ptr<Connection>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<Connection>("127.0.0.1", server.port()));
    slow.back()->send_text("GET /report.html HTTP/1.1\r\nX-Slow: ");
  }
  std::atomic<bool> done{false};
  std::thread dribbler([&] {
    while (!done) {
      for (auto& c : slow) c->send_text("a");
      for (int i = 0; i < 20 && !done; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // Let the server take the slow connections up before the normal client comes.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Connection normal("127.0.0.2", server.port());
  ASSERT_TRUE(normal.send_text(get_request("/report.html", local_host(server))));
  // A liveness bound, not a timing assertion: starved, it is never answered.
  const std::string response = normal.read_response(10);
  done = true;
  dribbler.join();
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_EQ(body_of(response), "<!DOCTYPE html><title>report</title>");
}

TEST_F(ReportServerTest, ARequestMustArriveWithinTheDeadline) {
  ys::ReportServerOptions options;
  options.request_timeout = std::chrono::milliseconds(500);
  ys::ReportServer server(served_.string(), "127.0.0.1", 0, options);
  Connection c("127.0.0.1", server.port());
  ASSERT_TRUE(c.send_text("GET /report.html HTTP/1.1\r\nX-Slow: "));
  // A byte every 100 ms never trips a per-read timeout; only the deadline ends it. 300 bytes
  // (30 s) is a generous liveness bound.
  bool answered = false;
  for (int i = 0; i < 300 && !answered; ++i) {
    c.send_text("a");
    answered = c.readable_within(100);
  }
  ASSERT_TRUE(answered) << "the server still reads a request that began 30 s ago";
  const std::string response = c.read_response();
  EXPECT_EQ(status_of(response), 408) << response;
  EXPECT_NE(body_of(response).find("500 ms"), std::string::npos) << response;
}

TEST_F(ReportServerTest, RefusesAnOversizedRequest) {
  ys::ReportServer server(served_.string());
  std::string request = "GET /report.html HTTP/1.1\r\nHost: " + local_host(server) + "\r\n";
  const std::string header = "X-Filler: " + std::string(4000, 'f') + "\r\n";
  while (request.size() < 300 * 1024) request += header;
  const std::string response = exchange(server, request + "\r\n");
  EXPECT_EQ(status_of(response), 431) << response.substr(0, 200);
}

TEST_F(ReportServerTest, LimitsTheConnectionsOfOneClient) {
  ys::ReportServerOptions options;
  options.max_connections_per_client = 2;
  ys::ReportServer server(served_.string(), "127.0.0.1", 0, options);
  if (!Connection("127.0.0.2", server.port()).ok())
    GTEST_SKIP() << "cannot connect from 127.0.0.2 (no 127.0.0.0/8 loopback here)";
  // Two kept-alive connections, each answered once, so both surely count.
  const std::string keep_alive = get_request("/report.html", local_host(server), "");
  Connection first("127.0.0.1", server.port()), second("127.0.0.1", server.port());
  ASSERT_TRUE(first.send_text(keep_alive));
  ASSERT_EQ(status_of(first.read_response()), 200);
  ASSERT_TRUE(second.send_text(keep_alive));
  ASSERT_EQ(status_of(second.read_response()), 200);

  const std::string third = exchange(server, get_request("/report.html", local_host(server)));
  EXPECT_EQ(status_of(third), 503) << third;
  EXPECT_NE(third.find("Retry-After: "), std::string::npos) << third;
  EXPECT_EQ(
      status_of(exchange(server, get_request("/report.html", local_host(server)), "127.0.0.2")),
      200)
      << "another client is still served";
}

TEST_F(ReportServerTest, AnswersOnlyItsOwnHostNames) {
  ys::ReportServer server(served_.string());
  const std::string port = std::to_string(server.port());
  for (const std::string& host : {"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port})
    EXPECT_EQ(status_of(exchange(server, get_request("/report.html", host))), 200) << host;
  // DNS rebinding: the browser sends the attacker's own name.
  for (const std::string& host : std::vector<std::string>{
           "evil.example:" + port, "127.0.0.1.nip.io:" + port, "localhost:1", "evil.example"}) {
    const std::string response = exchange(server, get_request("/report.html", host));
    EXPECT_EQ(status_of(response), 421) << host;
    EXPECT_EQ(response.find("<title>report"), std::string::npos) << host;
    EXPECT_NE(response.find("allowed_hosts="), std::string::npos) << response;
  }
  EXPECT_EQ(status_of(exchange(server, "GET /report.html HTTP/1.1\r\nConnection: close\r\n\r\n")),
            400)
      << "HTTP/1.1 requires Host";
  EXPECT_EQ(status_of(exchange(server, "GET /report.html HTTP/1.0\r\n\r\n")), 200)
      << "an HTTP/1.0 client without Host is no browser";
}

TEST_F(ReportServerTest, AllowedHostsAddNames) {
  ys::ReportServerOptions options;
  options.allowed_hosts = {"reports.lan"};
  ys::ReportServer server(served_.string(), "127.0.0.1", 0, options);
  const std::string port = std::to_string(server.port());
  EXPECT_EQ(status_of(exchange(server, get_request("/report.html", "reports.lan:" + port))), 200);
  EXPECT_EQ(status_of(exchange(server, get_request("/report.html", "reports.lan"))), 200)
      << "a name without port allows any port, as behind a proxy";
  EXPECT_EQ(status_of(exchange(server, get_request("/report.html", "other.lan:" + port))), 421);

  options.allowed_hosts = {"*"};
  ys::ReportServer open_server(served_.string(), "127.0.0.1", 0, options);
  EXPECT_EQ(status_of(exchange(open_server, get_request("/report.html", "any.example"))), 200);

  options.allowed_hosts = {"not a name"};
  try {
    ys::ReportServer bad(served_.string(), "127.0.0.1", 0, options);
    FAIL() << "expected ys::Error";
  } catch (const ys::Error& e) {
    EXPECT_EQ(e.kind(), ys::ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("'not a name'"), std::string::npos) << e.what();
  }
}

// Bound to every interface, the server is reached by any of the machine's addresses; names other
// than its own are still refused. serve.cpp warns on such a bind (loopback_only() false).
TEST_F(ReportServerTest, AWildcardBindAcceptsAddressesNotForeignNames) {
  ys::ReportServer local(served_.string());
  EXPECT_TRUE(local.loopback_only());
  ys::ReportServerOptions options;
  options.token = "t0ken";  // beyond loopback a token is required (server_access_test)
  ys::ReportServer server(served_.string(), "0.0.0.0", 0, options);
  EXPECT_FALSE(server.loopback_only());
  const std::string port = std::to_string(server.port());
  const std::string auth = "Authorization: Bearer t0ken\r\nConnection: close\r\n";
  EXPECT_EQ(status_of(exchange(server, get_request("/report.html", "192.0.2.7:" + port, auth))),
            200);
  EXPECT_EQ(status_of(exchange(server, get_request("/report.html", "evil.example:" + port, auth))),
            421);
}

TEST_F(ReportServerTest, ARequestWithABodyClosesTheConnection) {
  ys::ReportServer server(served_.string());
  // Without the close, the request in the unread body would be answered as a second one.
  const std::string body = get_request("/summary.json", local_host(server), "");
  Connection c("127.0.0.1", server.port());
  ASSERT_TRUE(c.send_text("POST /report.html HTTP/1.1\r\nHost: " + local_host(server) +
                          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                          body));
  const std::string response = c.read_all();
  EXPECT_EQ(status_of(response), 405) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
  EXPECT_EQ(response.find("yoloscope.profile"), std::string::npos) << response;
}

}  // namespace
