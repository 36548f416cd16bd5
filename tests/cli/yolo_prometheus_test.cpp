// A real Prometheus scrapes a running `yolo` (issue 16): Debian's prometheus on a loopback port,
// scraping metrics=True every second. After two scrapes, and once the run has ended, its HTTP API
// is asked for rate(yoloscope_frames_total[30s]) and histogram_quantile(0.99, ...) of the
// inference stage, and both must agree with the run's own figures within 10%: the Throughput
// line for fps, and summary.json's inference p99 (the profile covers every frame of the run).
// Skips with a message when /usr/bin/prometheus is missing (scripts/setup.sh installs it).
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <unistd.h>

#include "background_yolo.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";

std::string url_encode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// "Throughput: 1234 images in 40.12 s, 30.8 images/s" -> 30.8, or -1.
double throughput(const std::string& output) {
  const size_t at = output.find("Throughput: ");
  if (at == std::string::npos) return -1;
  const size_t comma = output.find(", ", at);
  return comma == std::string::npos ? -1 : std::stod(output.substr(comma + 2));
}

class PrometheusScrape : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kPrometheus))
      GTEST_SKIP() << kPrometheus << " is missing: apt-get install prometheus (scripts/setup.sh)";
    // One folder per process: two runs of this test at once (two build trees) must not share it.
    dir_ = fs::temp_directory_path() / ("ys_prometheus_test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    yolo_port_ = ys::testing::free_port();
    prom_port_ = ys::testing::free_port();
    ASSERT_GT(yolo_port_, 0);
    ASSERT_GT(prom_port_, 0);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // The API's answer to `query`, as a range from `start` to `end` (Unix seconds), one step a
  // second: the series' points, [[t, "value"], ...], of the first series.
  json query_range(const std::string& query, double start, double end) const {
    httplib::Client client("127.0.0.1", prom_port_);
    client.set_read_timeout(30);
    const std::string path = "/api/v1/query_range?query=" + url_encode(query) +
                             "&start=" + std::to_string(start) + "&end=" + std::to_string(end) +
                             "&step=1";
    auto res = client.Get(path.c_str());
    if (!res || res->status != 200) return json::array();
    const json j = json::parse(res->body, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success") return json::array();
    const json& result = j["data"]["result"];
    return result.empty() ? json::array() : result[0]["values"];
  }

  // The API's answer to `query` at `time` (Unix seconds): the first series' value, or NaN.
  double query_at(const std::string& query, double time) const {
    httplib::Client client("127.0.0.1", prom_port_);
    client.set_read_timeout(30);
    const std::string path =
        "/api/v1/query?query=" + url_encode(query) + "&time=" + std::to_string(time);
    auto res = client.Get(path.c_str());
    if (!res || res->status != 200) return NAN;
    const json j = json::parse(res->body, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success") return NAN;
    const json& result = j["data"]["result"];
    return result.empty() ? NAN : std::stod(result[0]["value"][1].get<std::string>());
  }

  static double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  fs::path dir_;
  int yolo_port_ = 0, prom_port_ = 0;
};

TEST_F(PrometheusScrape, RateAndP99AgreeWithTheRunsSummary) {
  // The watched run lasts about 40 s whatever this machine's speed: then the 30 s of rate()'s
  // window cover most of it, as the Throughput line does, and a machine whose speed drifts
  // (other processes come and go) moves both figures alike. The window must lie wholly after
  // the first scrape: rate() does not extrapolate a counter's start back across the gap, so a
  // window reaching before it reads up to 10% low (the 32 s run this test first had read 9-11%
  // low). SIGINT ends it; an interrupted run still prints its Throughput line and its profile.
  const std::string common = "'" YS_YOLO_BINARY
                             "' detect predict source=synthetic imgsz=160 threads=1 save=False "
                             "verbose=False ";
  constexpr int kFrames = 200000;
  std::ofstream(dir_ / "prometheus.yml") << "global:\n  scrape_interval: 1s\n"
                                            "  evaluation_interval: 1s\n"
                                            "scrape_configs:\n  - job_name: yolo\n"
                                            "    static_configs:\n      - targets: ['127.0.0.1:"
                                         << yolo_port_ << "']\n";
  ys::testing::BackgroundProcess prometheus(
      dir_,
      std::string(kPrometheus) + " --config.file=prometheus.yml --storage.tsdb.path=data " +
          "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_) + " --log.level=warn",
      "prometheus.txt");
  bool ready = false;
  for (int i = 0; i < 600 && !ready && prometheus.running(); ++i) {
    httplib::Client client("127.0.0.1", prom_port_);
    auto res = client.Get("/-/ready");
    ready = res && res->status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(ready) << prometheus.output();

  const double start = unix_now();
  // The profile covers every frame, so that its p99 is over the frames the histogram counts.
  ys::testing::BackgroundProcess run(dir_, common + "frames=" + std::to_string(kFrames) +
                                               " metrics=True profile=True " +
                                               "profile_schedule=0,0," + std::to_string(kFrames) +
                                               " port=" + std::to_string(yolo_port_));
  ASSERT_TRUE(run.wait_for_output("Prometheus metrics at", 120)) << run.output();
  const auto first_frame = std::chrono::steady_clock::now();
  bool scraped_twice = false;
  for (int i = 0; i < 600 && !scraped_twice && run.running(); ++i) {
    scraped_twice = query_range("yoloscope_frames_total", start, unix_now()).size() >= 2;
    if (!scraped_twice) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(scraped_twice) << "Prometheus did not scrape yolo twice\n" << run.output();
  std::this_thread::sleep_until(first_frame + std::chrono::seconds(40));
  ASSERT_TRUE(run.running()) << run.output();
  // Writing the profile of a few thousand frames takes seconds, more on a busy machine.
  ASSERT_EQ(run.stop(SIGINT, 600), 130) << run.output();
  const double end = unix_now();

  // The figures at the last scrape while frames still came: the server outlives the frames by
  // the report's writing, and a window reaching past them would count that time as no frames.
  const json frames_seen = query_range("yoloscope_frames_total", start, end);
  ASSERT_GE(frames_seen.size(), 2u);
  const std::string final_count = frames_seen.back()[1];
  double last = NAN;
  for (size_t i = 1; i < frames_seen.size() && !std::isfinite(last); ++i)
    if (frames_seen[i][1] == final_count) last = frames_seen[i - 1][0].get<double>();
  ASSERT_TRUE(std::isfinite(last));
  const double rate = query_at("rate(yoloscope_frames_total[30s])", last);
  const double p99 = query_at(
      "histogram_quantile(0.99, yoloscope_stage_seconds_bucket{stage=\"inference\"})", last);
  const double run_fps = throughput(run.output());
  ASSERT_GT(run_fps, 0) << run.output();
  EXPECT_NEAR(rate, run_fps, 0.1 * run_fps)
      << "Prometheus' rate against the Throughput line; frames scraped: " << frames_seen.dump();

  fs::path summary;
  for (const auto& e : fs::recursive_directory_iterator(dir_))
    if (e.path().filename() == "summary.json") summary = e.path();
  ASSERT_FALSE(summary.empty()) << run.output();
  const json s = json::parse(ys::testing::read_text(summary));
  double summary_p99_ms = -1;
  for (const json& stage : s["stages"])
    if (stage.value("name", "") == "inference") summary_p99_ms = stage["ms"]["p99"].get<double>();
  ASSERT_GT(summary_p99_ms, 0);
  // The p99 is known only as well as the run's slowest frames define it. When the two frames
  // around the 99th percentile's rank are far apart (a sparse tail: 27.3 ms, then 32.0 ms, was
  // seen here), the definitions of a percentile disagree by more than 10% among themselves:
  // summary.json interpolates between them, the nearest rank takes the upper one. Then any value
  // between the two, give or take 10%, agrees with the run.
  std::vector<double> frames_ms;
  for (const json& v : s["frames"]["inference_ms"])
    if (v.is_number()) frames_ms.push_back(v.get<double>());
  ASSERT_GE(frames_ms.size(), 100u);
  std::sort(frames_ms.begin(), frames_ms.end());
  const size_t lo = static_cast<size_t>(0.99 * static_cast<double>(frames_ms.size() - 1));
  const double below = frames_ms[lo], above = frames_ms[std::min(lo + 1, frames_ms.size() - 1)];
  const double prom_ms = p99 * 1e3;
  const bool near_summary = std::fabs(prom_ms - summary_p99_ms) <= 0.1 * summary_p99_ms;
  const bool within_tail = prom_ms >= 0.9 * below && prom_ms <= 1.1 * above;
  EXPECT_TRUE(near_summary || within_tail)
      << "histogram_quantile(0.99) of inference: " << prom_ms << " ms; summary.json's p99 "
      << summary_p99_ms << " ms, between the frames of " << below << " and " << above << " ms";
  std::cout << "[ prometheus ] rate " << rate << " images/s (run: " << run_fps
            << "), inference p99 " << p99 * 1e3 << " ms (summary.json: " << summary_p99_ms
            << " ms, frames around the rank " << below << " and " << above << " ms), "
            << frames_ms.size() << " frames\n";
}

}  // namespace
