// The report for hours (issue 15.4): a 24-hour run's per-second buckets, a spike every 60 s and the
// flight recorder's frames around 64 of them, generated here (deterministically) in the shape
// docs/PROFILE_SCHEMA.md gives `long` and `spikes`. The page must stay one file well under 20 MB,
// and in headless Chromium draw the bands, zoom, pan and open a clicked spike's frames in the
// timeline. The screenshot is kept for a person to look at.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "browser.h"
#include "profile_fixture.h"
#include "report/html_report.h"
#include "report/long_run_page.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kSeconds = 24 * 3600;
constexpr double kPeriodS = 60.0, kPhaseS = 12.1, kFps = 30.0;

// A fixed linear congruential generator: the same series on every machine.
struct Lcg {
  uint64_t state = 0x2545F4914F6CDD1DULL;
  double next() {  // [0, 1)
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  }
};

double round_to(double v, double step) {
  return std::round(v / step) * step;
}

struct StageModel {
  const char* name;
  double median_ms;
};
constexpr StageModel kStages[] = {{"read", 0.8},        {"preprocess", 0.6}, {"inference", 3.0},
                                  {"box_decode", 0.05}, {"nms", 0.12},       {"output", 0.3}};

bool spike_second(int s) {
  const double k = std::round((s - kPhaseS) / kPeriodS);
  return k >= 0 && s == static_cast<int>(std::floor(kPhaseS + k * kPeriodS)) &&
         s != static_cast<int>(kPhaseS + 700 * kPeriodS);  // one expected occurrence is missing
}

// Per-second buckets: 30 frames a second, inference drifting by 0.3 ms over the day, a 40 ms
// stall in inference every 60 s, and two minutes without frames (a source that stalled).
json buckets() {
  Lcg rng;
  json count = json::array(), spike_frames = json::array();
  json stages = json::object();
  for (const char* key :
       {"latency", "read", "preprocess", "inference", "box_decode", "nms", "output"})
    stages[key] = {{"p50", json::array()},
                   {"p95", json::array()},
                   {"p99", json::array()},
                   {"max", json::array()}};
  for (int s = 0; s < kSeconds; ++s) {
    const bool gap = s >= 5 * 3600 && s < 5 * 3600 + 120;
    const bool spike = spike_second(s);
    count.push_back(gap ? 0 : 30);
    spike_frames.push_back(spike ? 1 : 0);
    double lat[4] = {0, 0, 0, 0};
    for (const StageModel& st : kStages) {
      json& col = stages[st.name];
      if (gap) {
        for (const char* key : {"p50", "p95", "p99", "max"}) col[key].push_back(nullptr);
        continue;
      }
      const double drift =
          std::string(st.name) == "inference" ? 0.3 * std::sin(s * 2 * M_PI / kSeconds) : 0;
      const double p50 = st.median_ms + drift + 0.04 * st.median_ms * (rng.next() - 0.5);
      const double vals[4] = {p50, p50 * (1.08 + 0.04 * rng.next()),
                              p50 * (1.15 + 0.1 * rng.next()) +
                                  (spike && std::string(st.name) == "inference" ? 38.0 : 0),
                              p50 * (1.2 + 0.2 * rng.next()) +
                                  (spike && std::string(st.name) == "inference" ? 40.0 : 0)};
      const char* keys[4] = {"p50", "p95", "p99", "max"};
      for (int i = 0; i < 4; ++i) {
        col[keys[i]].push_back(round_to(vals[i], 0.01));
        lat[i] += vals[i];
      }
    }
    const char* keys[4] = {"p50", "p95", "p99", "max"};
    for (int i = 0; i < 4; ++i)
      stages["latency"][keys[i]].push_back(gap ? json(nullptr) : json(round_to(lat[i], 0.01)));
  }
  return {{"width_s", 1},
          {"count", std::move(count)},
          {"stages", std::move(stages)},
          {"spike_frames", std::move(spike_frames)}};
}

// The frames the flight recorder keeps around a spike at frame `frame`: two before, the spike,
// two after, each with its stages, YOLOv8n's layers and on the GPU a few kernels per layer, the
// spike frame with a 512 MiB device-to-host copy and the host's wait for it. Start times are
// milliseconds from the frame's start (its t_s).
json flight_record(int occurrence, int64_t frame, double t_s, const json& layers) {
  json frames = json::array();
  for (int64_t f = frame - 2; f <= frame + 2; ++f) {
    const bool spike = f == frame;
    const double start = t_s + static_cast<double>(f - frame) / kFps;
    json stages = json::object();
    double stage_at = 0;
    for (const StageModel& st : kStages) {
      const double ms = st.median_ms + (spike && std::string(st.name) == "inference" ? 40.0 : 0);
      stages[st.name] = {{"start_ms", stage_at}, {"ms", ms}};
      stage_at += ms;
    }
    json ls = json::array(), kernels = json::array();
    double at = 0.8 + 0.6;  // the inference stage starts after read and preprocess
    for (const json& l : layers) {
      const bool grown = spike && l.value("id", "") == "15";
      const double ms = 3.0 / static_cast<double>(layers.size()) + (grown ? 40.0 : 0);
      ls.push_back({{"id", l.value("id", "")},
                    {"label", l.value("label", "")},
                    {"start_ms", at},
                    {"ms", ms}});
      for (int k = 0; k < 3; ++k)
        kernels.push_back({{"name", k == 0 ? "sm90_xmma_fprop_implicit_gemm" : "silu_kernel"},
                           {"start_ms", at + ms * k / 3},
                           {"ms", ms / 4},
                           {"layer", l.value("id", "")}});
      at += ms;
    }
    json gpu = {{"kernels", std::move(kernels)},
                {"copies", json::array({{{"direction", "HtoD"},
                                         {"memory", "pinned"},
                                         {"bytes", 4915200},
                                         {"start_ms", 1.35},
                                         {"ms", 0.05}}})},
                {"waits", json::array()}};
    if (spike) {
      gpu["copies"].push_back({{"direction", "DtoH"},
                               {"memory", "pageable"},
                               {"bytes", 536870912},
                               {"start_ms", 2.0},
                               {"ms", 39.0}});
      gpu["waits"].push_back({{"kind", "stream"}, {"start_ms", 2.0}, {"ms", 39.5}});
    }
    frames.push_back({{"frame", f},
                      {"t_s", start},
                      {"spike", spike},
                      {"latency_ms", spike ? 44.87 : 4.87},
                      {"stages", std::move(stages)},
                      {"layers", std::move(ls)},
                      {"gpu", std::move(gpu)}});
  }
  return {{"occurrence", occurrence}, {"frame", frame}, {"t_s", t_s}, {"frames", frames}};
}

// A day of the stream on top of an ordinary profile's sections: `long` and `spikes`.
json day_summary(const json& base) {
  json summary = base;
  const json& layers = base["layers"];
  json occurrences = json::array(), flight = json::array();
  const json blame = {{"kind", "host_other_process"},
                      {"pid", 4242},
                      {"comm", "python3"},
                      {"score", 0.8},
                      {"evidence", "pid 4242 python3 used 190% CPU during the spike"}};
  for (int s = 0; s < kSeconds; ++s) {
    if (!spike_second(s)) continue;
    const double t = s + 0.1 + 0.05 * (s % 7);
    const auto frame = static_cast<int64_t>(std::llround(t * kFps));
    const int idx = static_cast<int>(occurrences.size());
    // The first 32 and every 45th afterwards: 64 records, some hours in.
    const bool kept = flight.size() < 64 && (idx < 32 || idx % 45 == 0);
    json occ = {{"t_s", round_to(t, 0.001)},
                {"frame", frame},
                {"frames", 1},
                {"duration_ms", 40.0 + (s % 5) * 0.3},
                {"peak_ms", 44.9},
                {"stage", "inference"},
                {"layer", "15"},
                {"in_period", true},
                {"flight", kept ? json(flight.size()) : json(nullptr)},
                {"blame", json::array({blame})}};
    if (kept) flight.push_back(flight_record(idx, frame, t, layers));
    occurrences.push_back(std::move(occ));
  }
  const size_t found = occurrences.size();
  summary["long"] = {{"duration_s", kSeconds},
                     {"frames", 30 * (kSeconds - 120)},
                     {"buckets", buckets()},
                     {"flight", std::move(flight)}};
  summary["spikes"] = {{"count", found},
                       {"period_s", kPeriodS},
                       {"period_err_s", 0.3},
                       {"period_frames", nullptr},
                       {"phase_s", kPhaseS},
                       {"expected", found + 1},
                       {"matched", found},
                       {"duration_ms", 40.2},
                       {"confidence", 0.93},
                       {"periodic", true},
                       {"text", "every 60.0 s (+/- 0.3 s), " + std::to_string(found) + " of " +
                                    std::to_string(found + 1) +
                                    " expected occurrences, each about 40 ms, phase 12.1 s"},
                       {"culprit", blame},
                       {"occurrences", std::move(occurrences)},
                       {"dropped", 0}};
  return summary;
}

}  // namespace

// The page's compact columns decode to the summary's values (to 3 significant digits).
TEST(LongRunPage, CompactColumnsKeepTheValuesAndTheGaps) {
  json summary = {{"long",
                   {{"buckets",
                     {{"width_s", 1},
                      {"count", {30, 0, 29}},
                      {"stages",
                       {{"inference",
                         {{"p50", {3.127, nullptr, 0.0531}},
                          {"p95", {1, 2, 3}},
                          {"p99", {40.26, nullptr, nullptr}}}}}}}}}}};
  const json page = ys::compact_long_run_for_page(summary);
  ASSERT_FALSE(page["long"].contains("buckets"));
  const json& b = page["long"]["buckets_page"];
  EXPECT_EQ(b["n"], 3);
  EXPECT_EQ(b["count"]["d"], json({30, -30, 29}));
  const json& p50 = b["stages"]["inference"]["p50"];
  // 3.13 ms and 0.0531 ms in steps of 1 us; the null repeats the value before (a step of 0).
  EXPECT_EQ(p50["d"], json({3130, 0, 53 - 3130}));
  EXPECT_EQ(p50["nulls"], json({{1, 1}}));
  EXPECT_EQ(b["stages"]["inference"]["p99"]["nulls"], json({{1, 2}}));
  EXPECT_FALSE(b["stages"]["inference"].contains("p95")) << "the page draws no p95";
  // Without buckets the summary passes through unchanged.
  const json plain = {{"run", {{"frames_total", 3}}}};
  EXPECT_EQ(ys::compact_long_run_for_page(plain), plain);
}

TEST(LongRunReport, ADayStaysWellUnder20MiB) {
  const ys::testing::ProfileFixture fx = ys::testing::yolov8n_profile(6);
  const json summary = day_summary(fx.summary);
  const size_t json_bytes = summary.dump().size();
  const std::string html = ys::render_html_report(summary, fx.trace);
  std::cout << "24 h: summary.json " << json_bytes / 1048576.0 << " MiB, report.html "
            << html.size() / 1048576.0 << " MiB\n";
  EXPECT_LT(html.size(), size_t{10} << 20);
  EXPECT_LT(html.size(), json_bytes);
}

TEST(LongRunReportBrowser, ADayRendersZoomsAndOpensASpike) {
  REQUIRE_CHROMIUM();
  const fs::path dir = ys::testing::out_dir("long_run");
  const ys::testing::ProfileFixture fx = ys::testing::yolov8n_profile(6);
  const json summary = day_summary(fx.summary);
  ys::write_html_report((dir / "report.html").string(), summary, fx.trace);

  const json v = ys::testing::selftest(dir, dir / "report.html");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2).substr(0, 4000);
  EXPECT_TRUE(v["sections"].empty()) << v["sections"].dump();
  const json& lr = v["longrun"];
  ASSERT_TRUE(lr.is_object()) << v.dump(2).substr(0, 4000);
  EXPECT_TRUE(lr.value("shown", false));
  EXPECT_EQ(lr["buckets"], kSeconds);
  EXPECT_EQ(lr["rows"],
            json({"latency", "read", "preprocess", "inference", "box_decode", "nms", "output"}));
  // The whole day across the plot: a band column in every pixel of every row but the two-minute
  // gap's (one or two pixels each).
  const int columns = 7 * lr.value("plot_px", 0);
  EXPECT_GT(lr.value("plot_px", 0), 300);
  EXPECT_LE(lr.value("band_columns", 0), columns);
  EXPECT_GE(lr.value("band_columns", 0), columns - 7 * 3);
  EXPECT_GT(lr.value("spike_marks", 0), 1000);
  EXPECT_EQ(lr["comb_teeth_whole"], 0) << "1,440 teeth cannot be drawn apart on one screen";
  EXPECT_TRUE(lr.value("wheel_zoomed", false)) << lr.dump();
  EXPECT_TRUE(lr.value("button_zoomed", false)) << lr.dump();
  EXPECT_TRUE(lr.value("drag_panned", false)) << lr.dump();
  EXPECT_EQ(lr["zoomed_to"], json({0, 600}));
  EXPECT_EQ(lr.value("band_columns_zoomed", 0), columns);
  EXPECT_EQ(lr["comb_teeth_zoomed"], 10) << "ten minutes from 0: teeth at 12.1, 72.1, ... 552.1 s";

  const json& click = lr["click"];
  ASSERT_TRUE(click.is_object()) << lr.dump();
  EXPECT_TRUE(click.value("detail_shown", false)) << click.dump();
  EXPECT_NE(click.value("detail_text", "").find("python3"), std::string::npos) << click.dump();
  EXPECT_NE(click.value("detail_text", "").find("C2f #15"), std::string::npos)
      << "the layer that grew is named: " << click.dump();
  EXPECT_EQ(click["timeline_frame"], click["frame"]) << click.dump();
  EXPECT_GT(click.value("timeline_spans", 0), 23 * 3) << click.dump();
  EXPECT_EQ(click["timeline_kinds"], json({"copy", "kernel", "layer", "stage", "sync"}))
      << click.dump();

  // For a person: the section as it opens.
  const fs::path png = dir / "long_run.png";
  const ys::testing::BrowserRun shot =
      ys::testing::run_chromium(dir, "--window-size=1400,1500 --screenshot=" + png.string() +
                                         " 'file://" + (dir / "report.html").string() + "'");
  ASSERT_EQ(shot.status, 0) << shot.err;
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 30u * 1024);
  std::cout << "screenshot: " << png.string() << "\n";
}
