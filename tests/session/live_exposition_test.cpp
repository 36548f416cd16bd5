// YoloScope's /metrics text and the dashboard's JSON from a LiveMetrics: every metric the issue
// names, with Prometheus' naming rules, in lines Prometheus' text format accepts; quantiles as
// histogram_quantile computes them; the dashboard's window figures.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "session/live_exposition.h"
#include "session/live_status.h"

namespace ys {
namespace {

std::array<double, kPipelineStageCount> all_stages(double seconds) {
  std::array<double, kPipelineStageCount> s;
  s.fill(seconds);
  return s;
}

struct Parsed {
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, double> values;      // "name{labels}" -> value
  std::vector<std::string> bad_lines;
};

// A strict reading of format 0.0.4: comments are HELP or TYPE; every other line is a metric name
// of [a-zA-Z_:][a-zA-Z0-9_:]*, optional {labels}, one space and a number.
Parsed parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      p.types[name] = type;
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    const size_t space = line.rfind(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    bool ok = !key.empty() && (std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_');
    const size_t brace = key.find('{');
    for (size_t i = 0; ok && i < std::min(brace, key.size()); ++i)
      ok = std::isalnum(static_cast<unsigned char>(key[i])) || key[i] == '_' || key[i] == ':';
    if (brace != std::string::npos) ok = ok && key.back() == '}';
    try {
      size_t used = 0;
      const double v = value == "+Inf" ? INFINITY : value == "NaN" ? NAN : std::stod(value, &used);
      ok = ok && (value == "+Inf" || value == "NaN" || used == value.size());
      p.values[key] = v;
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) p.bad_lines.push_back(line);
  }
  return p;
}

TEST(LiveExposition, EveryMetricOfTheIssueWithItsTypeInValidLines) {
  LiveMetrics m({"person", "car"}, "cuda", "yolov8n.onnx");
  m.record_batch(all_stages(0.003), 1, {{{0, 0, 1, 1, 0.9f, 1}}});
  m.record_batch(all_stages(0.005), 1, {{}});
  m.publish_gpu(0, {.device = 0,
                    .utilization_ratio = 0.75,
                    .memory_used_bytes = 2e9,
                    .sm_clock_hertz = 1.98e9,
                    .power_watts = 350,
                    .throttled = 0});
  m.set_spikes(2, 30);
  const Parsed p = parse(prometheus_metrics(m));
  EXPECT_TRUE(p.bad_lines.empty()) << p.bad_lines.front();
  const std::map<std::string, std::string> expected = {
      {"yoloscope_frames_total", "counter"},
      {"yoloscope_detections_total", "counter"},
      {"yoloscope_stage_seconds", "histogram"},
      {"yoloscope_inference_batch_size", "gauge"},
      {"yoloscope_spikes_total", "counter"},
      {"yoloscope_spike_period_seconds", "gauge"},
      {"yoloscope_gpu_utilization_ratio", "gauge"},
      {"yoloscope_gpu_memory_used_bytes", "gauge"},
      {"yoloscope_gpu_sm_clock_hertz", "gauge"},
      {"yoloscope_gpu_power_watts", "gauge"},
      {"yoloscope_gpu_throttled", "gauge"},
      {"yoloscope_process_cpu_seconds_total", "counter"},
      {"yoloscope_process_resident_memory_bytes", "gauge"},
      {"yoloscope_profiler_overhead_ratio", "gauge"},
      {"yoloscope_build_info", "gauge"},
  };
  for (const auto& [name, type] : expected)
    EXPECT_EQ(p.types.count(name) ? p.types.at(name) : "", type) << name;
  for (const auto& [name, type] : p.types) {
    if (type == "counter") {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    }
    EXPECT_TRUE(name.rfind("yoloscope_", 0) == 0) << name;
  }
  EXPECT_EQ(p.values.at("yoloscope_frames_total"), 2);
  EXPECT_EQ(p.values.at("yoloscope_detections_total{class=\"car\"}"), 1);
  EXPECT_EQ(p.values.count("yoloscope_detections_total{class=\"person\"}"), 0u);
  EXPECT_EQ(p.values.at("yoloscope_stage_seconds_count{stage=\"inference\"}"), 2);
  EXPECT_NEAR(p.values.at("yoloscope_stage_seconds_sum{stage=\"inference\"}"), 0.008, 1e-12);
  EXPECT_EQ(p.values.at("yoloscope_stage_seconds_bucket{stage=\"nms\",le=\"+Inf\"}"), 2);
  EXPECT_EQ(p.values.at("yoloscope_stage_seconds_bucket{stage=\"box_decode\",le=\"0.0001\"}"), 0);
  EXPECT_EQ(p.values.at("yoloscope_gpu_utilization_ratio{device=\"0\"}"), 0.75);
  EXPECT_EQ(p.values.at("yoloscope_gpu_sm_clock_hertz{device=\"0\"}"), 1.98e9);
  EXPECT_EQ(p.values.at("yoloscope_spikes_total"), 2);
  EXPECT_EQ(p.values.at("yoloscope_spike_period_seconds"), 30);
  EXPECT_EQ(p.values.at("yoloscope_inference_batch_size"), 1);
  EXPECT_EQ(p.values.at("yoloscope_build_info{version=\"" + m.snapshot().version +
                        "\",backend=\"cuda\",model=\"yolov8n.onnx\"}"),
            1);
  const double overhead = p.values.at("yoloscope_profiler_overhead_ratio");
  EXPECT_GE(overhead, 0);
  EXPECT_LT(overhead, 1);
}

TEST(LiveExposition, EveryStageHasAllBucketsEvenBeforeTheFirstFrame) {
  LiveMetrics m({}, "cpu", "m");
  const Parsed p = parse(prometheus_metrics(m));
  for (const char* stage : {"read", "preprocess", "inference", "box_decode", "nms", "output"}) {
    EXPECT_EQ(p.values.count(std::string("yoloscope_stage_seconds_bucket{stage=\"") + stage +
                             "\",le=\"10\"}"),
              1u)
        << stage;
  }
  EXPECT_EQ(p.values.count("yoloscope_gpu_utilization_ratio{device=\"0\"}"), 0u)
      << "no GPU gauge without an NVML reading";
}

TEST(HistogramQuantile, InterpolatesInsideTheBucketAsPrometheusDoes) {
  const double bounds[] = {1, 2, 4};
  const uint64_t counts[] = {0, 10, 10, 0};
  EXPECT_DOUBLE_EQ(histogram_quantile(0.5, bounds, 3, counts), 2);
  EXPECT_DOUBLE_EQ(histogram_quantile(0.25, bounds, 3, counts), 1.5);
  EXPECT_DOUBLE_EQ(histogram_quantile(0.75, bounds, 3, counts), 3);
  const uint64_t first[] = {4, 0, 0, 0};
  EXPECT_DOUBLE_EQ(histogram_quantile(0.5, bounds, 3, first), 0.5) << "the first bucket from 0";
  const uint64_t inf[] = {0, 0, 0, 5};
  EXPECT_DOUBLE_EQ(histogram_quantile(0.99, bounds, 3, inf), 4) << "+Inf: the last bound";
  const uint64_t none[] = {0, 0, 0, 0};
  EXPECT_EQ(histogram_quantile(0.5, bounds, 3, none), -1);
}

TEST(LiveStatus, DashboardFiguresFromTheMetrics) {
  LiveMetrics m({"person"}, "cpu", "yolov8n.onnx");
  m.set_frames_expected(100);
  for (int i = 0; i < 40; ++i) m.record_batch(all_stages(0.010), 1, {{{0, 0, 1, 1, 0.9f, 0}}});
  LiveStatus status(m);
  nlohmann::json j = nlohmann::json::parse(status.json());
  EXPECT_EQ(j["frames"], 40);
  EXPECT_EQ(j["frames_expected"], 100);
  EXPECT_EQ(j["detections"], 40);
  EXPECT_EQ(j["model"], "yolov8n.onnx");
  EXPECT_FALSE(j["finished"].get<bool>());
  EXPECT_TRUE(j["report"].is_null());
  EXPECT_GT(j["fps"].get<double>(), 0);
  ASSERT_EQ(j["stages"].size(), kPipelineStageCount);
  EXPECT_EQ(j["stages"][2]["name"], "inference");
  // 10 ms lies in the bucket (0.01, 0.0112]... or on its bound; either way p50 within a bucket.
  EXPECT_NEAR(j["stages"][2]["p50_ms"].get<double>(), 10, 1.3);
  EXPECT_GE(j["stages"][2]["p99_ms"].get<double>(), j["stages"][2]["p50_ms"].get<double>());
  EXPECT_TRUE(j["findings"].is_array());
  m.set_finished(true);
  j = nlohmann::json::parse(status.json());
  EXPECT_TRUE(j["finished"].get<bool>());
  EXPECT_EQ(j["report"], "report.html");
  EXPECT_TRUE(j["eta_s"].is_null()) << "no ETA once finished";
  const double elapsed = j["elapsed_s"].get<double>();
  EXPECT_NEAR(j["fps"].get<double>(), 40 / elapsed, 1e-9) << "the whole run's fps at the end";
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(nlohmann::json::parse(status.json())["elapsed_s"].get<double>(), elapsed)
      << "the run's time stops at its end";
}

TEST(LiveStatus, ReadingTheSourceSlowerThanInferenceIsAFinding) {
  LiveMetrics m({}, "cpu", "m");
  std::array<double, kPipelineStageCount> s = all_stages(0.001);
  s[static_cast<size_t>(PipelineStage::kRead)] = 0.050;
  s[static_cast<size_t>(PipelineStage::kInference)] = 0.010;
  for (int i = 0; i < 10; ++i) m.record_batch(s, 1, {{}});
  LiveStatus status(m);
  const nlohmann::json j = nlohmann::json::parse(status.json());
  ASSERT_FALSE(j["findings"].empty());
  EXPECT_NE(j["findings"][0]["finding"].get<std::string>().find("input-bound"), std::string::npos);
}

}  // namespace
}  // namespace ys
