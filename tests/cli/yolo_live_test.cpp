// A `yolo predict` run watched while it runs (issue 16): /metrics with metrics=True, the dashboard
// with serve=True read in headless Chromium as a person would (the fps it shows changes between
// two reads seconds apart, with no reload; the report is linked at the end), the bind address,
// and no progress bar when stdout is not a terminal. The browser test drives Chromium over its
// DevTools pipe (cdp_browser.h) and skips without /usr/bin/chromium.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <nlohmann/json.hpp>
#include <string>

#include "background_yolo.h"
#include "cdp_browser.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class YoloLive : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("ys_live_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    port_ = ys::testing::free_port();
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // A run long enough to be watched: many small synthetic frames, ended by the test.
  std::string yolo(const std::string& extra) const {
    return std::string("'" YS_YOLO_BINARY "' detect predict source=synthetic frames=1000000 ") +
           "imgsz=160 threads=1 save=False verbose=False port=" + std::to_string(port_) + " " +
           extra;
  }

  httplib::Result get(const std::string& path, const std::string& host = "127.0.0.1") const {
    httplib::Client client(host, port_);
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    return client.Get(path.c_str());
  }

  // The value of a sample line "name value" in Prometheus text, or -1.
  static double sample(const std::string& text, const std::string& name) {
    const size_t at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + name.size() + 2));
  }

  fs::path dir_;
  int port_ = 0;
};

// A non-loopback IPv4 address of this machine, when it has one.
std::string other_local_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::string found;
  for (ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char buf[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf)) found = buf;
  }
  freeifaddrs(list);
  return found;
}

TEST_F(YoloLive, MetricsAloneServesPrometheusTextDuringTheRunAndNothingElse) {
  ys::testing::BackgroundProcess run(dir_, yolo("metrics=True"));
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/metrics";
  ASSERT_TRUE(run.wait_for_output("Prometheus metrics at " + url, 60)) << run.output();
  ASSERT_TRUE(run.wait_for_output("Source:", 60)) << run.output();
  double first = -1;
  for (int i = 0; i < 300 && first <= 0; ++i) {
    auto res = get("/metrics");
    ASSERT_TRUE(res) << "no answer on " << url;
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    first = sample(res->body, "yoloscope_frames_total");
    if (first <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(first, 0) << "frames never counted";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto res = get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_GT(sample(res->body, "yoloscope_frames_total"), first) << "the counter follows the run";
  EXPECT_NE(res->body.find("yoloscope_stage_seconds_bucket{stage=\"inference\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(res->body.find("yoloscope_build_info{version="), std::string::npos);
  for (const char* path : {"/", "/live.json", "/report.html"}) {
    auto other = get(path);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 404) << path << ": metrics=True serves /metrics only";
  }
  EXPECT_EQ(run.stop(SIGINT), 130) << run.output();
  EXPECT_EQ(run.output().find('\r'), std::string::npos)
      << "no progress bar when stdout is not a terminal";
  EXPECT_NE(run.output().find("Throughput:"), std::string::npos) << run.output();
}

TEST_F(YoloLive, BindsLoopbackUnlessHostSaysOtherwise) {
  const std::string other = other_local_address();
  {
    ys::testing::BackgroundProcess run(dir_, yolo("metrics=True"));
    ASSERT_TRUE(run.wait_for_output("Prometheus metrics at http://127.0.0.1:", 60)) << run.output();
    auto res = get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    if (!other.empty()) {
      EXPECT_FALSE(get("/metrics", other)) << "reached from " << other;
    }
    run.stop(SIGINT);
  }
  if (other.empty()) GTEST_SKIP() << "this machine has no address but loopback to try host= on";
  ys::testing::BackgroundProcess run(dir_, yolo("metrics=True host=0.0.0.0"));
  ASSERT_TRUE(run.wait_for_output("Prometheus metrics at http://0.0.0.0:", 60)) << run.output();
  // Beyond loopback the server asks for a token (issue 18), generated and printed when not given.
  ASSERT_TRUE(run.wait_for_output("without TLS", 10)) << run.output();
  const std::string out = run.output();
  const size_t at = out.find("Access token: ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string token = out.substr(at + 14, out.find('\n', at) - at - 14);
  httplib::Client client(other, port_);
  client.set_connection_timeout(5);
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << "host=0.0.0.0 listens on " << other << " too";
  EXPECT_EQ(res->status, 401) << "no token, no metrics";
  res = client.Get("/metrics", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("yoloscope_frames_total"), std::string::npos);
  run.stop(SIGINT);
}

// What the dashboard shows, read from the DOM as rendered.
constexpr const char* kReadDashboard = R"js((() => {
  const v = document.querySelector('#card-fps .v');
  const link = document.getElementById('report-link');
  return { fps: v ? v.textContent : null,
    frames: (document.querySelector('#card-frames .v') || {}).textContent || null,
    state: (document.getElementById('run-state') || {}).textContent || null,
    report_link: link && !link.hidden ? link.getAttribute('href') : null,
    navigations: performance.getEntriesByType('navigation').length,
    t_ms: Math.round(performance.now()) };
})())js";

// Opens the dashboard once, reads it as soon as it shows a figure and again `gap` seconds later,
// and keeps a screenshot: {"first": ..., "second": ...}.
json watch(const fs::path& dir, int port, int gap, const std::string& name) {
  ys::testing::CdpBrowser browser(dir / ("chromium-" + name));
  if (!browser.ok()) {
    ADD_FAILURE() << "Chromium did not open a page over --remote-debugging-pipe";
    return json::object();
  }
  browser.call("Page.enable");
  browser.call("Page.navigate", {{"url", "http://127.0.0.1:" + std::to_string(port) + "/"}});
  json first;
  for (int i = 0; i < 200; ++i) {
    first = browser.evaluate(kReadDashboard);
    if (first.is_object() && first["fps"].is_string() && first["fps"] != "") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::seconds(gap));
  const json second = browser.evaluate(kReadDashboard);
  EXPECT_TRUE(browser.screenshot(dir / (name + ".png")));
  return {{"first", first}, {"second", second}};
}

TEST_F(YoloLive, DashboardUpdatesWithoutReloadAndLinksTheReportAtTheEnd) {
  if (!fs::exists("/usr/bin/chromium"))
    GTEST_SKIP() << "/usr/bin/chromium is missing (apt-get install -y chromium)";
  // A profiled run of a known length: the dashboard during it, the report after it.
  ys::testing::BackgroundProcess run(
      dir_, std::string("'" YS_YOLO_BINARY "' detect predict source=synthetic frames=1500 ") +
                "imgsz=160 threads=1 save=False verbose=False profile=True serve=True port=" +
                std::to_string(port_));
  ASSERT_TRUE(run.wait_for_output("Live dashboard at http://127.0.0.1:", 60)) << run.output();
  ASSERT_TRUE(run.wait_for_output("Source:", 60)) << run.output();
  const json live = watch(dir_, port_, 3, "dashboard-live");
  ASSERT_TRUE(live.contains("first") && live.contains("second")) << live.dump();
  const json& a = live["first"];
  const json& b = live["second"];
  EXPECT_EQ(a.value("state", ""), "running") << live.dump();
  ASSERT_TRUE(a["fps"].is_string() && b["fps"].is_string()) << live.dump();
  EXPECT_NE(a["fps"], b["fps"]) << "the fps figure did not change in 3 s: " << live.dump();
  EXPECT_NE(a["frames"], b["frames"]) << live.dump();
  EXPECT_EQ(b.value("navigations", 0), 1) << "the page must update without reloading";
  EXPECT_GE(b.value("t_ms", 0) - a.value("t_ms", 0), 3000) << "two reads seconds apart";
  EXPECT_TRUE(b["report_link"].is_null()) << "no report before the run ends";

  // serve=True keeps serving once the report is written.
  ASSERT_TRUE(run.wait_for_output("Serving ", 600)) << run.output();
  const json end = watch(dir_, port_, 2, "dashboard-end");
  ASSERT_TRUE(end.contains("second")) << end.dump();
  EXPECT_EQ(end["second"].value("state", ""), "finished") << end.dump();
  EXPECT_EQ(end["second"]["report_link"], "report.html") << end.dump();
  auto report = get("/report.html");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->status, 200);
  EXPECT_NE(report->body.find("YoloScope profile"), std::string::npos);
  EXPECT_EQ(run.stop(SIGTERM), 0) << run.output();
  if (const char* keep = std::getenv("YS_DASHBOARD_SCREENSHOTS")) {
    fs::create_directories(keep);
    for (const char* shot : {"dashboard-live.png", "dashboard-end.png"})
      fs::copy_file(dir_ / shot, fs::path(keep) / shot, fs::copy_options::overwrite_existing);
  }
}

}  // namespace
