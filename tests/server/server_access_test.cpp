// The report server beyond loopback (issue 18): no start without a token there; every route
// answers 401 without the token or with a wrong one; a Bearer header or a one-time ?token=
// (swapped for an HttpOnly, SameSite session cookie) lets a request through; every answer carries
// the CSP (hashes of exactly the page's inline blocks), nosniff and Referrer-Policy; HTTPS with a
// self-signed certificate made here, checked by the client; a decrypted report served from memory.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "core/error.h"
#include "server/access_gate.h"
#include "server/report_server.h"
#include "server/security_headers.h"
#include "tls_fixture.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kToken = "s3cr3t-t0ken-for-tests";

class ServerAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ys_access_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "report.html") << kPage;
    std::ofstream(dir_ / "summary.json") << "{\"a\":1}";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ys::ReportServerOptions with_token() {
    ys::ReportServerOptions o;
    o.token = kToken;
    return o;
  }

  static constexpr const char* kPage =
      "<!DOCTYPE html><html><head><style>body{color:red}</style>"
      "<script type=\"application/json\" id=\"data\">{\"x\":1}</script></head><body>"
      "<script>document.body.dataset.ran='1';</script></body></html>";
  fs::path dir_;
};

std::string sha256_b64(const std::string& s) {
  unsigned char d[32];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), d, &n, EVP_sha256(), nullptr);
  unsigned char b64[64] = {};
  EVP_EncodeBlock(b64, d, 32);
  return reinterpret_cast<const char*>(b64);
}

TEST_F(ServerAccess, BeyondLoopbackWithoutATokenIsRefusedAtStartUp) {
  try {
    ys::ReportServer server(dir_.string(), "0.0.0.0", 0);
    FAIL() << "a server on 0.0.0.0 started without a token";
  } catch (const ys::Error& e) {
    EXPECT_EQ(e.kind(), ys::ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("needs an access token"), std::string::npos) << e.what();
  }
  ys::ReportServerOptions o;
  o.generate_token = true;
  ys::ReportServer server(dir_.string(), "0.0.0.0", 0, o);
  EXPECT_EQ(server.token().size(), 43u);
  httplib::Client cli("127.0.0.1", server.port());
  EXPECT_EQ(cli.Get("/report.html")->status, 401);
  EXPECT_EQ(cli.Get("/report.html", {{"Authorization", "Bearer " + server.token()}})->status, 200);
}

TEST_F(ServerAccess, EveryRouteWantsTheToken) {
  ys::ReportServer server(dir_.string(), "127.0.0.1", 0, with_token());
  server.set_metrics([] { return std::string("ys_frames_total 1\n"); });
  httplib::Client cli("127.0.0.1", server.port());
  for (const char* path : {"/report.html", "/summary.json", "/metrics", "/", "/missing"}) {
    auto none = cli.Get(path);
    ASSERT_TRUE(none) << path;
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer realm=\"YoloScope report\"");
    EXPECT_EQ(none->body.find(kToken), std::string::npos);
    EXPECT_EQ(cli.Get(path, {{"Authorization", "Bearer wrong"}})->status, 401) << path;
    EXPECT_EQ(cli.Get(path, {{"Authorization", std::string("Bearer ") + kToken + "x"}})->status,
              401);
    EXPECT_EQ(cli.Get(path, {{"Cookie", "ys_session=guess"}})->status, 401) << path;
  }
  const httplib::Headers bearer = {{"Authorization", std::string("Bearer ") + kToken}};
  EXPECT_EQ(cli.Get("/report.html", bearer)->status, 200);
  EXPECT_EQ(cli.Get("/metrics", bearer)->body, "ys_frames_total 1\n");  // a Prometheus scrape
  EXPECT_EQ(cli.Get("/missing", bearer)->status, 404);
}

TEST_F(ServerAccess, AUrlTokenBecomesASessionCookieAndLeavesTheUrl) {
  ys::ReportServer server(dir_.string(), "127.0.0.1", 0, with_token());
  httplib::Client cli("127.0.0.1", server.port());
  EXPECT_EQ(cli.Get("/report.html?token=wrong")->status, 401);
  auto first = cli.Get(std::string("/report.html?token=") + kToken);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 303);
  EXPECT_EQ(first->get_header_value("Location"), "/report.html");
  const std::string cookie = first->get_header_value("Set-Cookie");
  EXPECT_EQ(cookie.find(kToken), std::string::npos)
      << "the cookie carries a session, not the token";
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  const std::string session = cookie.substr(0, cookie.find(';'));
  // The redirect stays on this server and carries no header of the client's making.
  cli.set_url_encode(false);
  auto odd = cli.Get(std::string("//evil.example/x%0d%0aSet-Cookie:%20a=b?token=") + kToken);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->status, 303);
  // (httplib's client decodes %XX in header values, so the value is compared decoded.)
  EXPECT_EQ(odd->get_header_value("Location").rfind("/evil.example/x", 0), 0u)
      << odd->get_header_value("Location");
  EXPECT_EQ(odd->get_header_value_count("Set-Cookie"), 1u);
  EXPECT_EQ(odd->get_header_value("Set-Cookie").rfind("ys_session=", 0), 0u);
  auto page = cli.Get("/report.html", {{"Cookie", "theme=dark; " + session}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, kPage);
}

TEST_F(ServerAccess, EveryAnswerCarriesTheSecurityHeaders) {
  ys::ReportServer server(dir_.string(), "127.0.0.1", 0, with_token());
  httplib::Client cli("127.0.0.1", server.port());
  const httplib::Headers bearer = {{"Authorization", std::string("Bearer ") + kToken}};
  auto html = cli.Get("/report.html", bearer);
  ASSERT_TRUE(html);
  const std::string csp = html->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'sha256-" + sha256_b64("document.body.dataset.ran='1';") + "'"),
            std::string::npos)
      << csp;
  EXPECT_NE(csp.find("style-src 'sha256-" + sha256_b64("body{color:red}") + "'"), std::string::npos)
      << csp;
  EXPECT_EQ(csp.find(sha256_b64("{\"x\":1}")), std::string::npos) << "a JSON block never runs";
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  // Browsers accept compressed answers; the hashes are still those of the plain page.
  auto gz = cli.Get("/report.html", {{"Authorization", std::string("Bearer ") + kToken},
                                     {"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Security-Policy"), csp);
  const std::pair<const char*, bool> kAnswers[] = {
      {"/report.html", true}, {"/summary.json", true}, {"/nope", true}, {"/report.html", false}};
  for (const auto& [path, authorised] : kAnswers) {
    auto res = authorised ? cli.Get(path, bearer) : cli.Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << res->status;
    EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer") << res->status;
    EXPECT_NE(res->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos)
        << res->status;
  }
  EXPECT_EQ(cli.Get("/summary.json", bearer)->get_header_value("Content-Security-Policy"),
            "default-src 'none'; frame-ancestors 'none'; sandbox");
}

TEST_F(ServerAccess, ServesADecryptedReportFromMemoryOnly) {
  ys::ReportServerOptions o;
  o.files = {{"report.html", kPage}, {"sub/layers.csv", "a,b\n"}};
  ys::ReportServer server("", "127.0.0.1", 0, o);
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_url_encode(false);
  EXPECT_EQ(cli.Get("/report.html")->body, kPage);
  EXPECT_EQ(cli.Get("/sub/layers.csv")->body, "a,b\n");
  EXPECT_EQ(cli.Get("/")->status, 302);
  for (const char* bad : {"/../report.html", "/sub/../report.html", "/sub", "/etc/passwd", "//x"})
    EXPECT_EQ(cli.Get(bad)->status, 404) << bad;
}

TEST_F(ServerAccess, ServesHttpsWithACertificateTheClientChecks) {
  ys::testing::SelfSignedCert tls;
  if (std::string why = tls.make("https"); !why.empty()) GTEST_SKIP() << why;
  ys::ReportServerOptions o = with_token();
  o.tls_cert = tls.cert.string();
  o.tls_key = tls.key.string();
  ys::ReportServer server(dir_.string(), "127.0.0.1", 0, o);
  EXPECT_TRUE(server.tls());
  EXPECT_EQ(server.url().rfind("https://", 0), 0u) << server.url();

  httplib::SSLClient cli("127.0.0.1", server.port());
  cli.set_ca_cert_path(tls.cert.string().c_str());
  cli.enable_server_certificate_verification(true);
  auto res = cli.Get("/report.html", {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, kPage);
  auto cookie = cli.Get(std::string("/report.html?token=") + kToken);
  ASSERT_TRUE(cookie);
  EXPECT_NE(cookie->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);

  // A client that trusts another certificate refuses this server.
  ys::testing::SelfSignedCert other;
  ASSERT_EQ(other.make("other"), "");
  httplib::SSLClient wary("127.0.0.1", server.port());
  wary.set_ca_cert_path(other.cert.string().c_str());
  wary.enable_server_certificate_verification(true);
  EXPECT_FALSE(wary.Get("/report.html"));
  // Plain HTTP on the TLS port gets no answer.
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_read_timeout(2, 0);
  auto p = plain.Get("/report.html");
  EXPECT_TRUE(!p || p->status != 200);
  // The server still answers afterwards.
  EXPECT_TRUE(cli.Get("/report.html", {{"Authorization", std::string("Bearer ") + kToken}}));
}

TEST_F(ServerAccess, RefusesUnusableCertificates) {
  ys::testing::SelfSignedCert a, b;
  if (std::string why = a.make("a"); !why.empty()) GTEST_SKIP() << why;
  ASSERT_EQ(b.make("b"), "");
  ys::ReportServerOptions o;
  o.tls_cert = a.cert.string();
  o.tls_key = b.key.string();
  EXPECT_THROW(ys::ReportServer(dir_.string(), "127.0.0.1", 0, o), ys::Error);
  o.tls_key = (dir_ / "none.pem").string();
  EXPECT_THROW(ys::ReportServer(dir_.string(), "127.0.0.1", 0, o), ys::Error);
  o.tls_key = "";
  EXPECT_THROW(ys::ReportServer(dir_.string(), "127.0.0.1", 0, o), ys::Error);
}

TEST(AccessToken, IsRandomAndComparedWhole) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(ys::generate_access_token());
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_TRUE(ys::secrets_equal("abc", "abc"));
  EXPECT_FALSE(ys::secrets_equal("abc", "abd"));
  EXPECT_FALSE(ys::secrets_equal("abc", "abcd"));
  EXPECT_FALSE(ys::secrets_equal("", "a"));
}

TEST(ContentSecurityPolicy, HashesOnlyRunnableInlineBlocks) {
  const std::string page =
      "<SCRIPT>a()</SCRIPT><script type='module'>b()</script>"
      "<script type=\"application/json\">{}</script><script src=\"x.js\"></script>"
      "<scripts>no</scripts><style media=x>p{}</style>";
  const std::string csp = ys::content_security_policy("text/html", page);
  EXPECT_NE(csp.find(sha256_b64("a()")), std::string::npos) << csp;
  EXPECT_NE(csp.find(sha256_b64("b()")), std::string::npos) << csp;
  EXPECT_EQ(csp.find(sha256_b64("{}")), std::string::npos) << csp;
  EXPECT_EQ(csp.find(sha256_b64("")), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src 'sha256-" + sha256_b64("p{}") + "'"), std::string::npos) << csp;
  EXPECT_NE(ys::content_security_policy("text/html", "<p>").find("script-src 'none'"),
            std::string::npos);
}

}  // namespace
