// The report still works under the server's Content-Security-Policy: headless Chromium opens a
// real rendered report over HTTPS (a self-signed certificate made here), through the token in
// the URL and the session cookie it becomes, from memory as `yolo report serve file=` serves it;
// the page's self-test runs and the console shows no CSP violation. A page with an inline event
// handler shows that a violation would be seen. Skips without /usr/bin/chromium or openssl.
#include <gtest/gtest.h>

#include <string>

#include "report/browser.h"
#include "report/html_report.h"
#include "report/profile_fixture.h"
#include "server/report_server.h"
#include "tls_fixture.h"

namespace {

using ys::testing::console_lines;
using ys::testing::run_chromium;

constexpr const char* kToken = "browser-test-token";

ys::testing::BrowserRun open_served(const std::string& page, const std::string& name,
                                    ys::testing::SelfSignedCert& tls) {
  ys::ReportServerOptions o;
  o.token = kToken;
  o.tls_cert = tls.cert.string();
  o.tls_key = tls.key.string();
  o.files = {{"report.html", page}};
  ys::ReportServer server("", "127.0.0.1", 0, o);
  return run_chromium(ys::testing::out_dir(name), "--ignore-certificate-errors --dump-dom '" +
                                                      server.url() + "?token=" + kToken +
                                                      "#selftest'");
}

std::string csp_lines(const std::string& log) {
  std::string out;
  for (const std::string& line : console_lines(log))
    if (line.find("Content Security Policy") != std::string::npos) out += line + "\n";
  return out;
}

TEST(ReportUnderCsp, RendersWithNoViolation) {
  REQUIRE_CHROMIUM();
  ys::testing::SelfSignedCert tls;
  if (std::string why = tls.make("csp"); !why.empty()) GTEST_SKIP() << why;
  const auto fx = ys::testing::yolov8n_profile(4);
  const auto run = open_served(ys::render_html_report(fx.summary, fx.trace), "csp_report", tls);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(csp_lines(run.err), "");
  for (const std::string& line : console_lines(run.err)) ADD_FAILURE() << "console: " << line;
  // The page's script ran: its self-test wrote a verdict without errors.
  const size_t at = run.out.find("<pre id=\"selftest\"");
  ASSERT_NE(at, std::string::npos) << run.out.substr(0, 1500);
  EXPECT_EQ(run.out.find("{\"errors\":[],", at), at + 29) << run.out.substr(at, 300);
  EXPECT_NE(run.out.find("yolov8n"), std::string::npos);
}

TEST(ReportUnderCsp, AViolationWouldBeSeen) {
  REQUIRE_CHROMIUM();
  ys::testing::SelfSignedCert tls;
  if (std::string why = tls.make("csp_bad"); !why.empty()) GTEST_SKIP() << why;
  const auto run = open_served(
      "<!DOCTYPE html><body><img src=x onerror=\"document.title='ran'\"><p style=\"color:red\">"
      "x</p><script>document.body.dataset.ok='1'</script></body>",
      "csp_violation", tls);
  EXPECT_NE(csp_lines(run.err), "") << run.err;
  EXPECT_NE(run.out.find("data-ok=\"1\""), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("<title>ran</title>"), std::string::npos) << run.out;
}

}  // namespace
