// The profile writers with GPU data: summary.json's "gpu" object and schema version, the console
// lines and layers.csv; and that a CPU run's outputs carry no GPU parts. The GPU records are the
// fixture's (profile_fixture.h), laid on a real profiler's frames and a real YOLOv8n graph
// (traced_yolov8n.h); trace.json's lanes are tested in tests/analysis/chrome_trace_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "analysis/profile_analysis.h"
#include "profile_fixture.h"
#include "profiler/environment.h"
#include "profiler/gpu_trace_io.h"
#include "report/profile_report.h"
#include "report/traced_yolov8n.h"

namespace ys {
namespace {

using nlohmann::json;
using testing::GpuFixture;

class GpuSummaryReport : public testing::TracedYolov8n {
 protected:
  json summary(const GpuAnalysis* gpu) const {
    const ProfileAnalysis a = analyze_profile(*profiler_, *executor_, {});
    RunInfo run;
    run.device = gpu ? "cuda:0" : "cpu";
    run.backend = gpu ? "cuda" : "onednn";
    return summary_json(a, ModelInfo{}, run, Environment{}, json::array(), gpu);
  }
};

TEST_F(GpuSummaryReport, CpuRunWritesSchemaTwoWithGpuNull) {
  const json s = summary(nullptr);
  EXPECT_EQ(s["schema_version"], 2);
  ASSERT_TRUE(s.contains("gpu"));
  EXPECT_TRUE(s["gpu"].is_null());
}

TEST_F(GpuSummaryReport, DetailedRunHasEveryPart) {
  const GpuFixture gpu = testing::gpu_profile(layers_, frames_);
  const GpuAnalysis& a = gpu.analysis;
  const json g = summary(&a)["gpu"];
  ASSERT_TRUE(g.is_object());
  EXPECT_EQ(g["available"], true);
  EXPECT_EQ(g["mode"], "detailed");
  EXPECT_EQ(g["device"]["name"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(g["device"]["compute_capability"], "9.0");
  EXPECT_EQ(g["device"]["sm_count"], 132);
  EXPECT_EQ(g["frames"], 3);

  ASSERT_EQ(g["layers"].size(), layers_.size());
  const json& l0 = g["layers"][0];
  EXPECT_EQ(l0["id"], a.layers[0].id);
  EXPECT_EQ(l0["stage"], "backbone");
  EXPECT_NEAR(l0["ms"]["median"].get<double>(), a.layers[0].ms.median, 1e-4);
  EXPECT_NEAR(l0["pct_peak_compute"].get<double>(), a.layers[0].pct_peak_compute, 0.01);
  for (const char* key : {"tflops", "gb_per_s", "pct_peak_bandwidth", "kernels_per_frame", "flops",
                          "bytes", "share_pct", "label", "type"})
    EXPECT_TRUE(l0.contains(key)) << key;
  EXPECT_NEAR(g["layer_sum_ms"].get<double>(), a.layer_sum_ms, 1e-4);

  const json& k = g["kernels"];
  EXPECT_EQ(k["count"], a.kernels);
  EXPECT_EQ(k["per_frame"]["median"], a.kernels_per_frame.median);
  EXPECT_EQ(k["backend_per_run"], gpu.trace.kernels_per_run);
  EXPECT_EQ(k["counts_match"], true);
  ASSERT_EQ(k["top"].size(), a.top_kernels.size());
  EXPECT_EQ(k["top"][0]["name"], a.top_kernels[0].name);
  EXPECT_EQ(k["top"][0]["layer"], a.top_kernels[0].layer_id);
  EXPECT_EQ(k["top"][0]["block"], json({256, 1, 1}));
  ASSERT_EQ(k["size_histogram"].size(), 5u);
  EXPECT_EQ(k["size_histogram"][0]["bucket"], "<5 us");

  EXPECT_NEAR(g["busy"]["launch_bound_pct"].get<double>(), a.launch_bound_pct, 0.01);
  EXPECT_GT(g["busy"]["launch_bound_pct"].get<double>(), 0);
  EXPECT_NEAR(g["busy"]["busy_pct"].get<double>(), a.busy_pct, 0.01);
  EXPECT_EQ(g["busy"]["gap_us"]["count"], a.gap_us.count);
  ASSERT_EQ(g["copies"]["by_direction"].size(), 3u);  // HtoD pinned, DtoH pageable, memset
  std::set<std::string> directions;
  for (const json& c : g["copies"]["by_direction"]) directions.insert(c["direction"]);
  EXPECT_EQ(directions, (std::set<std::string>{"HtoD", "DtoH", "memset"}));
  EXPECT_EQ(g["copies"]["pageable_bytes_per_frame"], 84 * 8400 * 4);
  EXPECT_GT(g["host_wait_ms_per_frame"].get<double>(), 0);

  const json& n = g["nvml"];
  EXPECT_EQ(n["available"], true);
  EXPECT_EQ(n["sm_clock_min_mhz"], 1755);
  EXPECT_EQ(n["power_limit_w"], 700);
  EXPECT_EQ(n["throttle_reasons"], "power cap");
  EXPECT_GT(n["throttled_pct"].get<double>(), 0);
  ASSERT_EQ(n["series"].size(), 1u);
  const json& series = n["series"][0];
  const size_t points = a.series[0].t_ms.size();
  ASSERT_LE(points, 500u);
  EXPECT_EQ(series["points"], points);
  ASSERT_EQ(series["gpu_util_pct"].size(), points);
  EXPECT_TRUE(series["gpu_util_pct"][3].is_null()) << "a figure NVML could not give is null";
  EXPECT_NEAR(series["power_w"][5].get<double>(), a.series[0].power_w[5], 0.05);
  EXPECT_TRUE(g["not_available"].empty()) << g["not_available"];
}

TEST_F(GpuSummaryReport, LongNvmlSeriesAreDownsampledToFiveHundredPoints) {
  GpuFixture gpu = testing::gpu_profile(layers_, frames_);
  NvmlSeries& s = gpu.analysis.series[0];
  s = NvmlSeries{};
  for (int i = 0; i < 2000; ++i) {
    s.t_ms.push_back(i * 20.0);
    s.gpu_util_pct.push_back(i < 1000 ? 40 : 80);
    s.mem_util_pct.push_back(10);
    s.mem_used_mib.push_back(1500);
    s.sm_clock_mhz.push_back(1980);
    s.mem_clock_mhz.push_back(2619);
    s.temperature_c.push_back(50);
    s.power_w.push_back(i % 2 ? std::nan("") : 300);
  }
  const json series = summary(&gpu.analysis)["gpu"]["nvml"]["series"][0];
  EXPECT_EQ(series["samples"], 2000);
  EXPECT_EQ(series["points"], 500);
  ASSERT_EQ(series["t_ms"].size(), 500u);
  EXPECT_NEAR(series["t_ms"][0].get<double>(), 30.0, 1e-9) << "mean of the first four samples";
  EXPECT_EQ(series["gpu_util_pct"][0], 40);
  EXPECT_EQ(series["gpu_util_pct"][499], 80);
  EXPECT_EQ(series["power_w"][100], 300) << "NaNs are left out of a bucket's mean";
}

TEST_F(GpuSummaryReport, EventsModeSaysWhyKernelPartsAreMissing) {
  GpuFixture gpu = testing::gpu_profile(layers_, frames_, false);
  gpu.analysis.nvml = false;
  gpu.analysis.nvml_why = "libnvidia-ml.so.1 could not be loaded";
  const json g = summary(&gpu.analysis)["gpu"];
  EXPECT_EQ(g["mode"], "events");
  EXPECT_EQ(g["layers"].size(), layers_.size());
  for (const char* key : {"kernels", "busy", "copies", "host_wait_ms_per_frame"})
    EXPECT_TRUE(g[key].is_null()) << key;
  EXPECT_NE(g["not_available"]["kernels"].get<std::string>().find("profile_detail=detailed"),
            std::string::npos);
  EXPECT_EQ(g["nvml"]["available"], false);
  EXPECT_EQ(g["nvml"]["why"], "libnvidia-ml.so.1 could not be loaded");
  EXPECT_EQ(g["not_available"]["nvml"], "libnvidia-ml.so.1 could not be loaded");

  GpuAnalysis none;
  none.why = "the CUDA backend has no span timing";
  const json n = summary(&none)["gpu"];
  EXPECT_EQ(n, json({{"available", false}, {"why", none.why}, {"mode", ""}}));
}

class GpuConsoleReport : public GpuSummaryReport {
 protected:
  std::string console(const GpuAnalysis* gpu) const {
    const ProfileAnalysis a = analyze_profile(*profiler_, *executor_, {});
    RunInfo run;
    run.backend = gpu ? "cuda" : "onednn";
    ModelInfo model;
    model.name = "yolov8n";
    return console_summary(a, model, run, "runs/p", gpu);
  }
};

TEST_F(GpuConsoleReport, DetailedRunPrintsDeviceKernelsCopiesAndNvml) {
  const GpuFixture gpu = testing::gpu_profile(layers_, frames_);
  const GpuAnalysis& a = gpu.analysis;
  const std::string text = console(&a);
  char figures[160];
  std::snprintf(figures, sizeof figures,
                "GPU: NVIDIA H100 80GB HBM3 (detailed): %.2f ms per frame on the device over 3 "
                "traced frames",
                a.layer_sum_ms);
  EXPECT_NE(text.find(figures), std::string::npos) << text;
  std::snprintf(figures, sizeof figures, "launch-bound %.1f%%, %.0f kernels/frame",
                a.launch_bound_pct, a.kernels_per_frame.median);
  EXPECT_NE(text.find(figures), std::string::npos) << text;
  const size_t top = text.find("  GPU top kernels:");
  ASSERT_NE(top, std::string::npos) << text;
  const std::string top_line = text.substr(top, text.find('\n', top) - top);
  EXPECT_NE(top_line.find("(" + a.top_kernels[0].layer_label + ")"), std::string::npos) << top_line;
  EXPECT_NE(top_line.find("..."), std::string::npos) << "long kernel names are shortened";
  // Sizes in MiB, as the arena's line.
  EXPECT_NE(text.find("  HtoD 4.69 MiB/frame pinned"), std::string::npos) << text;
  EXPECT_NE(text.find("GPU NVML: utilization"), std::string::npos) << text;
  EXPECT_NE(text.find("SM clock 1755-1980 MHz"), std::string::npos) << text;
  EXPECT_NE(text.find("(power cap)"), std::string::npos) << text;
  EXPECT_EQ(text.find("not available"), std::string::npos) << text;
  // Before the overhead line and the report's path, as the rest of the summary.
  EXPECT_LT(text.find("GPU:"), text.find("Report:"));
}

TEST_F(GpuConsoleReport, MissingPartsSayWhy) {
  GpuFixture gpu = testing::gpu_profile(layers_, frames_, false);
  gpu.analysis.nvml = false;
  gpu.analysis.nvml_why = "NVML reported no devices";
  const std::string text = console(&gpu.analysis);
  EXPECT_NE(text.find("GPU kernels: not available: kernels, copies, gaps and host waits are "
                      "recorded with profile_detail=detailed"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("GPU NVML: not available: NVML reported no devices"), std::string::npos)
      << text;
  GpuAnalysis none;
  none.why = "no traced frame recorded GPU times";
  EXPECT_NE(console(&none).find("GPU: not available: no traced frame recorded GPU times"),
            std::string::npos);
}

TEST_F(GpuConsoleReport, CpuRunPrintsNoGpuLines) {
  const std::string text = console(nullptr);
  EXPECT_EQ(text.find("GPU"), std::string::npos) << text;
  EXPECT_NE(text.find("Report: runs/p/report.html"), std::string::npos);
}

TEST(LayersCsv, WritesShapesAsDimensionsJoinedByX) {
  ProfileAnalysis a;
  LayerResult l;
  l.id = "0";
  l.label = "Conv #0";
  l.output_shape = {1, 16, 320, 320};
  a.layers.push_back(l);
  const std::string csv = layers_csv(a);
  EXPECT_NE(csv.find(",1x16x320x320,"), std::string::npos) << csv;
  EXPECT_EQ(csv.find('['), std::string::npos) << csv;
}

ProfileAnalysis with_overhead(double pct, double noise) {
  ProfileAnalysis a;
  a.overhead.measured = true;
  a.overhead.pct = pct;
  a.overhead.noise_pct = noise;
  a.overhead.within_noise = std::fabs(pct) <= noise;
  a.overhead.pairs = 50;
  return a;
}

// -10.2% +/- 22.4% is no measurement of a cost: the console says what it can tell.
TEST(ConsoleSummary, OverheadWithinNoiseIsABoundNotANumber) {
  const ProfileAnalysis a = with_overhead(-10.2, 22.4);
  const std::string text = console_summary(a, ModelInfo{}, RunInfo{}, "p");
  EXPECT_NE(text.find("Profiler overhead: not measurable: below +/-22.40%"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("-10.2"), std::string::npos) << text;
  const json s = summary_json(a, ModelInfo{}, RunInfo{}, Environment{});
  EXPECT_FALSE(s["overhead"]["measurable"].get<bool>());
  EXPECT_DOUBLE_EQ(s["overhead"]["bound_pct"].get<double>(), 22.4);

  // Negative beyond its noise is no cost either: the bound is what the run could resolve.
  const std::string faster = console_summary(with_overhead(-3, 1), ModelInfo{}, RunInfo{}, "p");
  EXPECT_NE(faster.find("not measurable: below +/-3.00%"), std::string::npos) << faster;

  const std::string real = console_summary(with_overhead(4, 1), ModelInfo{}, RunInfo{}, "p");
  EXPECT_NE(real.find("Profiler overhead: 4.00% +/- 1.00% measured over 50"), std::string::npos)
      << real;
}

TEST(ConsoleSummary, NotesComeFirst) {
  RunInfo run;
  run.notes = {"the run ended after 3 frames"};
  const std::string text = console_summary(ProfileAnalysis{}, ModelInfo{}, run, "p");
  EXPECT_NE(text.find("  Note: the run ended after 3 frames\n"), std::string::npos) << text;
  EXPECT_EQ(summary_json(ProfileAnalysis{}, ModelInfo{}, run, Environment{})["run"]["notes"],
            json({"the run ended after 3 frames"}));
}

// The recorded H200 runs sampled NVML over 0.2 s, under NVML's own averaging period.
TEST(RecordedGpuReport, NvmlOverAShortWindowSaysSo) {
  const testing::ProfileFixture fx = testing::recorded_gpu_profile(
      std::string(YS_GPU_FIXTURES) + "/yolov8n_fp16_graph_detailed.json");
  const json& nvml = fx.summary["gpu"]["nvml"];
  EXPECT_NEAR(nvml["window_ms"].get<double>(), 200, 10);
  EXPECT_EQ(nvml["averaging_period_ms"], 1000.0);
  EXPECT_TRUE(nvml["short_window"].get<bool>());

  const GpuTrace trace =
      read_gpu_trace(std::string(YS_GPU_FIXTURES) + "/yolov8n_fp16_graph_detailed.json");
  const GpuAnalysis g =
      analyze_gpu(trace, Graph{}, layers_of(trace), host_frames_of(trace), trace.profile_start_ns);
  RunInfo run;
  run.backend = "cuda";
  const std::string text = console_summary(ProfileAnalysis{}, ModelInfo{}, run, "p", &g);
  EXPECT_NE(text.find("shorter than NVML's averaging period of up to 1 s"), std::string::npos)
      << text;
  EXPECT_NE(text.find("CUPTI's busy time above is this window's"), std::string::npos) << text;
}

// Issue 19.4: the console names the inference's parts, and summary.json holds them as the
// analysis made them, on a recorded graph run.
TEST(RecordedGpuReport, ConsoleAndSummaryNameTheInferenceParts) {
  const std::string path = std::string(YS_GPU_FIXTURES) + "/yolov8n_fp16_graph_detailed.json";
  const testing::ProfileFixture fx = testing::recorded_gpu_profile(path);
  const json& p = fx.summary["gpu"]["inference_parts"];
  ASSERT_TRUE(p.is_object());
  EXPECT_EQ(p["parts"].size(), 6u);
  EXPECT_NEAR(p["coverage_pct"].get<double>(), 100, 0.1);
  const GpuTrace trace = read_gpu_trace(path);
  const GpuAnalysis g =
      analyze_gpu(trace, Graph{}, layers_of(trace), host_frames_of(trace), trace.profile_start_ns);
  RunInfo run;
  run.backend = "cuda";
  const std::string text = console_summary(ProfileAnalysis{}, ModelInfo{}, run, "p", &g);
  for (const char* s : {"GPU inference part by part (means of 3 traced frames", " + launch wait ",
                        "% of the mean inference ", "their medians to "})
    EXPECT_NE(text.find(s), std::string::npos) << s << " in\n" << text;
}

// On a GPU the layer table's shares are of the host inference median of the traced frames too.
TEST(RecordedGpuReport, LayerSharesAreOfTheInferenceMedian) {
  const testing::ProfileFixture fx = testing::recorded_gpu_profile(
      std::string(YS_GPU_FIXTURES) + "/yolov8n_fp32_eager_detailed.json");
  const json& s = fx.summary;
  const double basis = s["shares"]["inference_ms"];
  EXPECT_DOUBLE_EQ(basis, s["gpu"]["inference_ms"].get<double>());
  double layer_sum = 0;
  for (const json& l : s["layers"]) {
    EXPECT_NEAR(l["share_pct"].get<double>(), 100 * l["ms"]["median"].get<double>() / basis, 0.01);
    layer_sum += l["ms"]["median"].get<double>();
  }
  EXPECT_NEAR(s["shares"]["layer_sum_ms"].get<double>(), layer_sum, 0.001);
  for (const json& st : s["model_stages"]) {
    double median = 0;
    for (const json& l : s["layers"])
      if (l["stage"] == st["name"]) median += l["ms"]["median"].get<double>();
    EXPECT_NEAR(st["ms"]["median"].get<double>(), median, 0.001) << st["name"];
  }
}

}  // namespace
}  // namespace ys
