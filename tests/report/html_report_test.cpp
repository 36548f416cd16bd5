// The HTML report: what the writer embeds (escaping, no external resources, atomic writes), and
// what the page does in a real browser: headless Chromium loads it with #selftest, the page
// zooms and pans its timeline, hovers a span, sorts the layer table, counts what it drew of the
// GPU (timeline lanes, kernels nested in layers, tables, counter charts) and writes a JSON
// verdict into <pre id="selftest">, which --dump-dom hands back. Browser tests skip without
// Chromium.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "analysis/profile_analysis.h"
#include "backends/cpu/cpu_backend.h"
#include "browser.h"
#include "core/error.h"
#include "model/builtin_models.h"
#include "model/prepare.h"
#include "profile_fixture.h"
#include "profiler/environment.h"
#include "profiler/profiler.h"
#include "profiler/schedule.h"
#include "report/html_report.h"
#include "report/profile_report.h"

namespace fs = std::filesystem;
using nlohmann::json;
using ys::testing::BrowserRun;
using ys::testing::console_lines;
using ys::testing::out_dir;
using ys::testing::read_file;
using ys::testing::run_chromium;
using ys::testing::selftest;

namespace {

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

std::string embedded_block(const std::string& html, const std::string& id) {
  const std::string open = "<script type=\"application/json\" id=\"" + id + "\">";
  const size_t a = html.find(open);
  const size_t b = html.find("</script>", a);
  if (a == std::string::npos || b == std::string::npos) return {};
  return html.substr(a + open.size(), b - a - open.size());
}

}  // namespace

TEST(HtmlReport, EmbedsTheDataSoNoStringCanCloseTheScript) {
  const auto fx = ys::testing::yolov8n_profile(4);
  const std::string html = ys::render_html_report(fx.summary, fx.trace);
  const std::string bare = ys::render_html_report(json::object(), json::object());
  // The fixture's run.args.name is "</script><b>not markup</b><!--".
  EXPECT_EQ(count(html, "</script"), count(bare, "</script"));
  EXPECT_EQ(html.find("<b>not markup"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  EXPECT_EQ(json::parse(embedded_block(html, "ys-summary")), fx.summary);
  EXPECT_EQ(json::parse(embedded_block(html, "ys-trace")), fx.trace);
}

TEST(HtmlReport, IsSelfContained) {
  const auto fx = ys::testing::yolov8n_profile(2);
  const std::string html = ys::render_html_report(fx.summary, fx.trace);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("@YS_"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
}

TEST(HtmlReport, WritesAtomicallyAndNamesThePathOnFailure) {
  const fs::path dir = out_dir("write");
  const auto fx = ys::testing::yolov8n_profile(2);
  ys::write_html_report((dir / "report.html").string(), fx.summary, fx.trace);
  EXPECT_EQ(read_file(dir / "report.html"), ys::render_html_report(fx.summary, fx.trace));
  EXPECT_FALSE(fs::exists(dir / "report.html.tmp"));

  const std::string bad = (dir / "missing" / "report.html").string();
  try {
    ys::write_html_report(bad, fx.summary, fx.trace);
    FAIL() << "expected ys::Error";
  } catch (const ys::Error& e) {
    EXPECT_EQ(e.kind(), ys::ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

TEST(HtmlReportBrowser, SelfTestPassesOnARealisticProfile) {
  REQUIRE_CHROMIUM();
  const fs::path dir = out_dir("selftest");
  const int frames = 6;
  const auto fx = ys::testing::yolov8n_profile(frames);
  ys::write_html_report((dir / "report.html").string(), fx.summary, fx.trace);

  std::string dom;
  const json v = selftest(dir, dir / "report.html", &dom);
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2);
  EXPECT_TRUE(v["errors"].empty()) << v["errors"].dump(2);
  EXPECT_TRUE(v["sections"].empty()) << v["sections"].dump();

  const size_t layers = fx.summary["layers"].size();
  EXPECT_EQ(v["layers_in_data"], layers);
  EXPECT_EQ(v["layer_rows"], layers);
  EXPECT_EQ(count(dom, "<tr class=\"layer-row"), layers);
  EXPECT_TRUE(v.value("sort_desc_ok", false));

  const json& tl = v["timeline"];
  EXPECT_EQ(tl["lanes"], json({"stages", "layers", "ops"}));
  EXPECT_EQ(tl["counters"], json({"cpu (percent)", "memory (rss_mib)"}));
  const size_t spans = frames * (6 + layers + fx.summary["ops"].size());
  EXPECT_EQ(tl["spans"], spans);
  EXPECT_EQ(tl["frames"], frames);
  EXPECT_TRUE(tl.value("zoom_changed", false)) << tl.dump();
  EXPECT_TRUE(tl.value("pan_changed", false)) << tl.dump();
  EXPECT_GT(tl.value("span_pixels", 0), 5000) << "the timeline drew almost nothing";
  EXPECT_GT(tl.value("span_pixels_after_zoom", 0), 5000);
  EXPECT_TRUE(tl.value("tooltip", false)) << "hovering a span showed no tooltip";
  EXPECT_TRUE(tl.value("wheel_zoomed", false)) << "the mouse wheel did not zoom";
  EXPECT_TRUE(tl.value("drag_panned", false)) << "dragging did not pan";
  EXPECT_TRUE(tl.value("button_zoomed", false)) << "the + button did not zoom";

  EXPECT_NE(dom.find("SYNTHETIC WEIGHTS"), std::string::npos);
  EXPECT_NE(dom.find("class=\"verdict\">Median frame"), std::string::npos) << "no verdict line";
  // A CPU run has no GPU section.
  EXPECT_TRUE(v["gpu"].is_null());
  EXPECT_NE(dom.find("<section id=\"gpu\" hidden=\"\">"), std::string::npos);
}

TEST(HtmlReportBrowser, GpuRunShowsDeviceLanesKernelsAndCounters) {
  REQUIRE_CHROMIUM();
  const fs::path dir = out_dir("gpu");
  const int frames = 6;
  const auto fx = ys::testing::yolov8n_gpu_profile(frames);
  ys::write_html_report((dir / "report.html").string(), fx.summary, fx.trace);

  std::string dom;
  const json v = selftest(dir, dir / "report.html", &dom);
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2);
  EXPECT_TRUE(v["sections"].empty()) << v["sections"].dump();

  size_t kernel_events = 0;
  for (const json& e : fx.trace["traceEvents"]) kernel_events += e.value("cat", "") == "kernel";
  ASSERT_GT(kernel_events, 0u);
  const json& g = v["gpu"];
  ASSERT_TRUE(g.is_object()) << v.dump(2);
  EXPECT_TRUE(g.value("visible", false));
  EXPECT_EQ(g["processes"], json({"GPU 0: NVIDIA H100 80GB HBM3"}));
  EXPECT_EQ(g["lanes"], json({"stream 7", "stream 7 copies", "stream 13"}));
  EXPECT_EQ(g["kernels"], kernel_events);
  EXPECT_EQ(g["kernels_nested"], kernel_events) << "every kernel is drawn under its layer";
  EXPECT_GE(g["layer_spans"].get<size_t>(), frames * fx.summary["layers"].size());
  EXPECT_EQ(g["kernel_rows"], fx.summary["gpu"]["kernels"]["top"].size());
  EXPECT_EQ(g["layer_rows"], fx.summary["layers"].size());
  EXPECT_EQ(g["copy_rows"], 3);
  EXPECT_EQ(g["counter_charts"],
            json({"gpu_util_pct", "mem_used_mib", "sm_clock_mhz", "temperature_c", "power_w"}));
  EXPECT_EQ(g["counter_lines"], 5) << "a counter chart drew no line";
  EXPECT_TRUE(g["unavailable"].empty()) << g["unavailable"];
  EXPECT_GE(g["cards"].get<int>(), 6);

  const json& lanes = v["timeline"]["lanes"];
  EXPECT_EQ(lanes, json({"stages", "layers", "ops", "GPU waits", "CUDA API", "stream 7",
                         "stream 7 copies", "stream 13"}));
  EXPECT_NE(dom.find("<section id=\"gpu\">"), std::string::npos);
  EXPECT_NE(dom.find(">NVIDIA H100 80GB HBM3<"), std::string::npos);
  EXPECT_NE(dom.find("the GPU is busy"), std::string::npos) << "the verdict names the GPU";
}

TEST(HtmlReportBrowser, GpuRunWithoutKernelsOrNvmlSaysWhy) {
  REQUIRE_CHROMIUM();
  const fs::path dir = out_dir("gpu_events");
  auto fx = ys::testing::yolov8n_gpu_profile(4);
  std::vector<ys::testing::HostFrame> host;
  for (int64_t f = 0; f < 4; ++f)
    host.push_back({4 + f, 480'000'000 + f * 9'000'000, 482'000'000 + f * 9'000'000});
  ys::testing::GpuFixture events =
      ys::testing::gpu_profile(ys::testing::yolov8n_layer_results(), host, false);
  events.analysis.nvml = false;
  events.analysis.nvml_why = "libnvidia-ml.so.1 could not be loaded";
  fx.summary["gpu"] = ys::gpu_summary_json(events.analysis);
  ys::write_html_report((dir / "events.html").string(), fx.summary, fx.trace);
  fx.summary["gpu"] = {{"available", false}, {"why", "no traced frame recorded GPU times"}};
  ys::write_html_report((dir / "none.html").string(), fx.summary, fx.trace);

  std::string dom;
  const json v = selftest(dir, dir / "events.html", &dom);
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2);
  const json& g = v["gpu"];
  EXPECT_EQ(g["kernel_rows"], 0);
  EXPECT_EQ(g["layer_rows"], fx.summary["layers"].size());
  ASSERT_EQ(g["unavailable"].size(), 2u) << g.dump();
  EXPECT_NE(g["unavailable"][0].get<std::string>().find("profile_detail=detailed"),
            std::string::npos);
  EXPECT_NE(g["unavailable"][1].get<std::string>().find("libnvidia-ml.so.1 could not be loaded"),
            std::string::npos);
  EXPECT_TRUE(g["counter_charts"].empty());
  EXPECT_NE(dom.find("No NVML samples: libnvidia-ml.so.1 could not be loaded."), std::string::npos);

  const json none = selftest(dir, dir / "none.html", &dom);
  EXPECT_TRUE(none.value("ok", false)) << none.dump(2);
  EXPECT_TRUE(none["gpu"]["visible"]);
  EXPECT_NE(dom.find("No GPU figures for this run: no traced frame recorded GPU times."),
            std::string::npos);
}

TEST(HtmlReportBrowser, SparseAndEmptyProfilesRenderWithoutErrors) {
  REQUIRE_CHROMIUM();
  const fs::path dir = out_dir("sparse");
  const auto fx = ys::testing::sparse_profile();
  ys::write_html_report((dir / "sparse.html").string(), fx.summary, fx.trace);
  ys::write_html_report((dir / "empty.html").string(), json::object(), json());

  std::string dom;
  const json sparse = selftest(dir, dir / "sparse.html", &dom);
  EXPECT_TRUE(sparse.value("ok", false)) << sparse.dump(2);
  EXPECT_EQ(sparse["layer_rows"], 3);
  EXPECT_EQ(sparse["timeline"]["spans"], 3);
  EXPECT_NE(dom.find("No findings"), std::string::npos);

  const json bare = selftest(dir, dir / "empty.html", &dom);
  EXPECT_TRUE(bare.value("ok", false)) << bare.dump(2);
  EXPECT_EQ(bare["layer_rows"], 0);
  EXPECT_EQ(bare["timeline"]["spans"], 0);
  EXPECT_NE(dom.find("No profile data"), std::string::npos);
}

// Renders the report in a window `height` pixels tall and checks the picture is a drawn page.
void expect_drawn_screenshot(const std::string& name, const ys::testing::ProfileFixture& fx,
                             int height) {
  const fs::path dir = out_dir(name);
  ys::write_html_report((dir / "report.html").string(), fx.summary, fx.trace);
  const fs::path png = dir / "report.png";
  const BrowserRun run = run_chromium(dir, "--window-size=1400," + std::to_string(height) +
                                               " --screenshot=" + png.string() + " 'file://" +
                                               (dir / "report.html").string() + "'");
  ASSERT_EQ(run.status, 0) << run.err;
  for (const std::string& line : console_lines(run.err))
    ADD_FAILURE() << "browser console: " << line;
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 50u * 1024);
  std::cout << "screenshot: " << png.string() << "\n";

  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_file(&image, png.string().c_str())) << image.message;
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) << image.message;
  EXPECT_EQ(image.width, 1400u);
  std::unordered_set<unsigned> colors;
  size_t non_white = 0;
  for (size_t i = 0; i + 2 < pixels.size(); i += 3) {
    colors.insert(pixels[i] << 16 | pixels[i + 1] << 8 | pixels[i + 2]);
    non_white += pixels[i] < 240 || pixels[i + 1] < 240 || pixels[i + 2] < 240;
  }
  EXPECT_GT(colors.size(), 200u);
  EXPECT_GT(non_white, pixels.size() / 3 / 10) << "under 10 % of the page is drawn";
}

TEST(HtmlReportBrowser, ScreenshotIsNotBlank) {
  REQUIRE_CHROMIUM();
  expect_drawn_screenshot("screenshot", ys::testing::yolov8n_profile(12), 2400);
}

// The whole page of a GPU run, timeline lanes and GPU section included, for a person to look at.
TEST(HtmlReportBrowser, GpuScreenshotIsNotBlank) {
  REQUIRE_CHROMIUM();
  expect_drawn_screenshot("gpu_screenshot", ys::testing::yolov8n_gpu_profile(12), 5600);
}

// ---- Issue 14: every number on the page means one thing and agrees with the others ----------

namespace {

// A profile as the writers make it from a real run: YOLOv8n (built in, 64x64) on the CPU,
// 8 measured frames, half of them with op tracing, and the console summary of the same run.
struct RealProfile {
  ys::testing::ProfileFixture fx;
  std::string console;
};

RealProfile real_cpu_profile() {
  ys::Graph g = ys::build_builtin_model("yolov8n.yaml", 64);
  ys::prepare_graph(g);
  ys::Executor ex(std::move(g), ys::make_cpu_backend({.threads = 1}));
  ys::Profiler p(ys::parse_profile_schedule("0,0,8"), ex.steps().size());
  for (int64_t f = 0; f < 8; ++f) {
    const bool traced = p.begin_frame(f);
    for (ys::PipelineStage s : {ys::PipelineStage::kRead, ys::PipelineStage::kPreprocess}) {
      p.stage_begin(s);
      p.stage_end(s);
    }
    ex.set_observer(traced ? &p : nullptr);
    p.stage_begin(ys::PipelineStage::kInference);
    ex.run();
    p.stage_end(ys::PipelineStage::kInference);
    ex.set_observer(nullptr);
    p.stage_begin(ys::PipelineStage::kNms);
    p.stage_end(ys::PipelineStage::kNms);
    p.end_frame();
  }
  const ys::ProfileAnalysis a = ys::analyze_profile(p, ex, {});
  ys::ModelInfo model;
  model.name = "yolov8n.yaml";
  ys::RunInfo run;
  run.source = "synthetic";
  run.frames_total = 8;
  run.device = "cpu";
  run.backend = "onednn";
  RealProfile r;
  r.fx.summary = ys::summary_json(a, model, run, ys::Environment{});
  r.fx.trace = ys::chrome_trace(p, ex, {});
  r.console = ys::console_summary(a, model, run, "out");
  return r;
}

json numbers_of(const std::string& name, const ys::testing::ProfileFixture& fx) {
  const fs::path dir = out_dir(name);
  ys::write_html_report((dir / "report.html").string(), fx.summary, fx.trace);
  const json v = selftest(dir, dir / "report.html");
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2);
  return v.value("numbers", json::object());
}

const json* find_named(const json& list, const std::string& key, const std::string& value) {
  for (const json& e : list)
    if (e.value(key, "") == value) return &e;
  return nullptr;
}

}  // namespace

// A layer's or a model stage's share once read 38% in the verdict and its group header, 48.3% in
// the layer table and 33% of the inference median. Now every share is of the inference median
// the page states, a group header is the sum of its rows, and the sections agree.
TEST(HtmlReportBrowser, SharesAndGroupTotalsReadTheSameInEverySection) {
  REQUIRE_CHROMIUM();
  const RealProfile real = real_cpu_profile();
  const json& s = real.fx.summary;
  const double basis = s["shares"]["inference_ms"];
  ASSERT_GT(basis, 0);
  for (const json& l : s["layers"]) {
    EXPECT_NEAR(l["share_pct"].get<double>(), 100 * l["ms"]["median"].get<double>() / basis, 0.01)
        << l["label"];
  }
  const json n = numbers_of("shares", real.fx);
  ASSERT_EQ(n["model_stages"].size(), s["model_stages"].size()) << n.dump(1);
  for (const json& st : n["model_stages"]) {
    const std::string name = st["name"];
    const json* group = find_named(n["groups"], "name", name);
    ASSERT_NE(group, nullptr) << name << " has no group header: " << n["groups"].dump(1);
    EXPECT_NEAR((*group)["share_pct"].get<double>(), st["share_pct"].get<double>(), 0.06)
        << (*group)["text"] << " vs the model-stage table";
    EXPECT_NEAR((*group)["median_ms"].get<double>(), st["median_ms"].get<double>(), 0.002)
        << (*group)["text"];
    double rows = 0, row_share = 0, rows_rounding = 0;
    int count = 0;
    for (const json& l : n["layers"]) {
      if (l["stage"] != name) continue;
      rows += l["median_ms"].get<double>();
      row_share += l["share_pct"].get<double>();
      ++count;
      // The share on the row is the row's median over the stated inference median, within what
      // the page's rounding of both leaves: fmt() prints 2 decimals from 1 ms, 3 below it.
      const double shown = l["median_ms"].get<double>();
      const double half_unit = shown >= 100 ? 0.05 : shown >= 1 ? 0.005 : 0.0005;
      EXPECT_NEAR(l["share_pct"].get<double>(), 100 * shown / basis,
                  0.06 + 100 * (half_unit + 0.0001) / basis)
          << l["label"];
      rows_rounding += half_unit;
    }
    EXPECT_NEAR((*group)["median_ms"].get<double>(), rows, rows_rounding + 0.005)
        << (*group)["text"] << ": the header is the sum of its rows' medians";
    EXPECT_NEAR((*group)["share_pct"].get<double>(), row_share, 0.06 * count + 0.06);
  }
  // Where the verdict names a model stage's share, it is the same share.
  const std::string verdict = n["verdict"];
  for (const json& st : n["model_stages"]) {
    for (const char* verb : {" dominates (", " is the largest part ("}) {
      const std::string key = "the " + st["name"].get<std::string>() + verb;
      const size_t at = verdict.find(key);
      if (at == std::string::npos) continue;
      EXPECT_NEAR(std::stod(verdict.substr(at + key.size())), st["share_pct"].get<double>(), 0.51)
          << verdict;
    }
  }
  // The page says what the shares are of, with the figure.
  char basis_text[32];
  std::snprintf(basis_text, sizeof basis_text, "%.3f ms", basis);
  const std::string how = n["layers_how"];
  EXPECT_NE(how.find("median inference stage"), std::string::npos) << how;
  EXPECT_NE(how.find(basis < 1 ? basis_text : "ms"), std::string::npos) << how;
  EXPECT_NE(n["model_stages_how"].get<std::string>().find("sum of its layers"), std::string::npos);
}

// The console said MiB and the page MB (10^6) for the same arena.
TEST(HtmlReportBrowser, SizesUseTheConsolesBinaryUnits) {
  REQUIRE_CHROMIUM();
  const RealProfile real = real_cpu_profile();
  const size_t arena = real.console.find("arena ");
  ASSERT_NE(arena, std::string::npos) << real.console;
  const double console_mib = std::stod(real.console.substr(arena + 6));
  EXPECT_EQ(real.console.compare(real.console.find(' ', arena + 6), 5, " MiB "), 0) << real.console;
  const json n = numbers_of("units", real.fx);
  const json* card = find_named(n["cards"], "k", "Activation arena");
  ASSERT_NE(card, nullptr) << n["cards"].dump(1);
  const std::string v = (*card)["v"];
  const bool kib = v.find(" KiB") != std::string::npos;
  ASSERT_TRUE(kib || v.find(" MiB") != std::string::npos) << v;
  const double page_mib = std::stod(v) / (kib ? 1024 : 1);
  EXPECT_NEAR(page_mib, console_mib, 0.006) << v << " vs " << console_mib << " MiB";
  for (const json& e : real.fx.trace["traceEvents"]) {
    if (e.value("name", "") == "memory") {
      EXPECT_TRUE(e["args"].contains("rss_mib")) << e.dump();
    }
  }
}

// -10.2% +/- 22.4% was once the largest, highlighted card.
TEST(HtmlReportBrowser, OverheadWithinNoiseIsABoundNotANegativeNumber) {
  REQUIRE_CHROMIUM();
  auto fx = ys::testing::yolov8n_profile(12);
  fx.summary["overhead_pct"] = -10.2;
  fx.summary["overhead"].update({{"measured", true},
                                 {"noise_pct", 22.4},
                                 {"within_noise", true},
                                 {"measurable", false},
                                 {"bound_pct", 22.4},
                                 {"estimated_pct", 0.012},
                                 {"pairs", 6}});
  json n = numbers_of("overhead_noise", fx);
  const json* card = find_named(n["cards"], "k", "Profiler overhead");
  ASSERT_NE(card, nullptr);
  EXPECT_EQ((*card)["v"], "not measurable");
  EXPECT_NE((*card)["d"].get<std::string>().find("below \u00b122.4 %"), std::string::npos)
      << (*card)["d"];
  EXPECT_EQ((*card)["d"].get<std::string>().find("-10"), std::string::npos) << (*card)["d"];
  EXPECT_EQ((*card)["cls"].get<std::string>().find("high"), std::string::npos);

  // Older files without "measurable" read the same from within_noise.
  fx.summary["overhead"].erase("measurable");
  fx.summary["overhead"].erase("bound_pct");
  n = numbers_of("overhead_noise_v2", fx);
  card = find_named(n["cards"], "k", "Profiler overhead");
  ASSERT_NE(card, nullptr);
  EXPECT_EQ((*card)["v"], "not measurable");

  fx.summary["overhead_pct"] = 3.1;
  fx.summary["overhead"].update(
      {{"noise_pct", 1.0}, {"within_noise", false}, {"measurable", true}});
  n = numbers_of("overhead_measured", fx);
  card = find_named(n["cards"], "k", "Profiler overhead");
  ASSERT_NE(card, nullptr);
  EXPECT_EQ((*card)["v"], "3.1%");
}

// The histogram's edge labels overlapped and the last was cut off; the median and mean labels sat
// on the data.
TEST(HtmlReportBrowser, ChartLabelsNeitherOverlapNorLeaveThePictureNorCoverTheData) {
  REQUIRE_CHROMIUM();
  auto fx = ys::testing::yolov8n_profile(40);
  json edges = json::array(), counts = json::array();
  for (int b = 0; b <= 30; ++b) edges.push_back(1000.0 + 12.345 * b);
  for (int b = 0; b < 30; ++b) counts.push_back((b * 7) % 11 + 1);
  fx.summary["frames"]["histogram"] = {{"edges_ms", edges}, {"counts", counts}};
  const json n = numbers_of("labels", fx);
  ASSERT_FALSE(n["charts"].empty());
  bool hist = false;
  for (const json& c : n["charts"]) {
    const double width = c["width"];
    const json& ticks = c["xticks"];
    hist |= c["id"] == "hist-chart";
    if (c["id"] == "hist-chart") {
      ASSERT_GE(ticks.size(), 2u);
      EXPECT_EQ(ticks.back()["text"], "1370.3") << "the last edge is labelled";
    }
    for (size_t i = 0; i < ticks.size(); ++i) {
      const json& t = ticks[i];
      EXPECT_GE(t["x"].get<double>(), 0) << c["id"] << ": " << t["text"];
      EXPECT_LE(t["x"].get<double>() + t["w"].get<double>(), width + 0.5)
          << c["id"] << ": " << t["text"] << " is cut off at the right edge";
      if (i == 0) continue;
      const json& p = ticks[i - 1];
      EXPECT_LE(p["x"].get<double>() + p["w"].get<double>(), t["x"].get<double>())
          << c["id"] << ": " << p["text"] << " overlaps " << t["text"];
    }
    EXPECT_TRUE(c["texts_in_plot"].empty()) << c["id"] << ": " << c["texts_in_plot"];
  }
  EXPECT_TRUE(hist);
}

// The op lane showed the start of ONNX node paths ("/model.2/m.0/cv1/c...").
TEST(HtmlReportBrowser, OpLaneLabelsAreOpTypesWithTheNodeNameOnHover) {
  REQUIRE_CHROMIUM();
  const auto fx = ys::testing::yolov8n_profile(6);
  const json n = numbers_of("op_labels", fx);
  int ops = 0;
  for (const json& l : n["timeline_labels"]) {
    if (l["cat"] != "op") continue;
    ++ops;
    std::string label = l["label"];
    const std::string name = l["name"], ellipsis = "\u2026";
    EXPECT_EQ(label.find('/'), std::string::npos) << label;
    // A label with no room left ends in an ellipsis: its start is the type's.
    if (label.size() > ellipsis.size() &&
        label.compare(label.size() - ellipsis.size(), ellipsis.size(), ellipsis) == 0)
      label.resize(label.size() - ellipsis.size());
    EXPECT_NE(name.rfind("/" + label), std::string::npos)
        << label << " is not the type of " << name;
  }
  EXPECT_GT(ops, 0) << "no op label was drawn: " << n["timeline_labels"].dump();
}

// The GPU report opened on "Frame 15 - 6.55 ms (median)" while the median frame took 0.96 ms.
TEST(HtmlReportBrowser, GpuTimelineOpensOnTheMedianTracedFrameWithItsLatency) {
  REQUIRE_CHROMIUM();
  for (const char* file :
       {"yolov8n_fp16_graph_detailed.json", "yolov8n_fp32_eager_detailed.json"}) {
    const auto fx = ys::testing::recorded_gpu_profile(std::string(YS_GPU_FIXTURES) + "/" + file);
    std::set<int64_t> traced;
    for (const json& e : fx.trace["traceEvents"])
      if (e.value("cat", "") == "kernel") traced.insert(e["args"]["frame"].get<int64_t>());
    std::vector<std::pair<double, int64_t>> by_latency;
    const json& frames = fx.summary["frames"];
    for (size_t i = 0; i < frames["index"].size(); ++i) {
      if (traced.count(frames["index"][i]))
        by_latency.push_back({frames["latency_ms"][i], frames["index"][i]});
    }
    ASSERT_GE(by_latency.size(), 2u);
    std::sort(by_latency.begin(), by_latency.end());
    const auto [latency, frame] = by_latency[(by_latency.size() - 1) / 2];
    const json n = numbers_of(std::string("median_frame_") + file, fx);
    const std::string selected = n["frame_selected"];
    char want[64];
    std::snprintf(want, sizeof want, "Frame %lld \u2014 %.2f ms", static_cast<long long>(frame),
                  latency);
    EXPECT_EQ(selected.rfind(want, 0), 0u) << file << ": " << selected << ", want " << want;
    // "(median)" alone would claim the page's median frame, which with an even count is an
    // average no frame has (2.44 ms here, against this frame's 2.85 ms): the label says which
    // median it is.
    char which[64];
    std::snprintf(which, sizeof which, "(median of the %zu traced frames)", by_latency.size());
    EXPECT_NE(selected.find(which), std::string::npos) << file << ": " << selected;
  }
}

// NVML's "utilization 2%" over 0.1 s while CUPTI saw the GPU busy 70% of inference.
TEST(HtmlReportBrowser, NvmlOverAWindowShorterThanItsPeriodSaysSoAndPointsToCupti) {
  REQUIRE_CHROMIUM();
  const auto fx = ys::testing::recorded_gpu_profile(std::string(YS_GPU_FIXTURES) +
                                                    "/yolov8n_fp16_graph_detailed.json");
  const json& nvml = fx.summary["gpu"]["nvml"];
  ASSERT_TRUE(nvml["available"].get<bool>());
  EXPECT_LT(nvml["window_ms"].get<double>(), 1000);
  EXPECT_TRUE(nvml["short_window"].get<bool>());
  const json n = numbers_of("nvml_short", fx);
  const json* card = find_named(n["gpu_cards"], "k", "NVML utilization");
  ASSERT_NE(card, nullptr) << n["gpu_cards"].dump(1);
  const std::string d = (*card)["d"];
  EXPECT_NE(d.find("shorter than its averaging period"), std::string::npos) << d;
  EXPECT_NE(d.find("CUPTI saw the GPU busy"), std::string::npos) << d;
  EXPECT_EQ(find_named(n["gpu_cards"], "k", "Utilization"), nullptr)
      << "a bare NVML utilization card is still shown";
  EXPECT_NE(n["gpu_nvml_sub"].get<std::string>().find("shorter than its averaging period"),
            std::string::npos);
}

// Issue 19.4: the page shows the inference part by part, and its rows add up to the inference
// it names (within the rounding of what it prints), on a recorded graph run whose per-layer
// medians with the launch and sync covered only 86% of it.
TEST(HtmlReportBrowser, GpuInferencePartsAddUpToTheInferenceTheyName) {
  REQUIRE_CHROMIUM();
  const auto fx = ys::testing::recorded_gpu_profile(std::string(YS_GPU_FIXTURES) +
                                                    "/yolov8n_fp16_graph_detailed.json");
  const json& p = fx.summary["gpu"]["inference_parts"];
  ASSERT_TRUE(p.is_object()) << fx.summary["gpu"].dump(1).substr(0, 2000);
  const json n = numbers_of("gpu_parts", fx);
  const json& rows = n["gpu_parts"];
  ASSERT_EQ(rows.size(), p["parts"].size()) << n.dump(1).substr(0, 2000);
  double sum = 0, share = 0;
  for (const json& r : rows) {
    sum += r["mean_ms"].get<double>();
    share += r["share_pct"].get<double>();
  }
  const double mean = p["inference_ms"]["mean"].get<double>();
  // fmt() prints 3 decimals below 1 ms: each row is within half a microsecond.
  EXPECT_NEAR(sum, mean, 0.0005 * static_cast<double>(rows.size()) + 1e-9);
  EXPECT_NEAR(share, 100, 0.05 * static_cast<double>(rows.size()));
  EXPECT_NEAR(sum / p["inference_ms"]["median"].get<double>(), 1, 0.05);
  const json* wait = find_named(rows, "name", "launch wait");
  ASSERT_NE(wait, nullptr) << rows.dump(1);
  EXPECT_GT((*wait)["share_pct"].get<double>(), 10);
  const std::string how = n["gpu_parts_how"];
  EXPECT_NE(how.find("of the mean inference"), std::string::npos) << how;
  EXPECT_NE(how.find("median"), std::string::npos) << how;
}

TEST(HtmlReportBrowser, RunNotesAreShownUnderTheVerdict) {
  REQUIRE_CHROMIUM();
  auto fx = ys::testing::yolov8n_profile(6);
  fx.summary["run"]["notes"] = {"the run ended after 3 frames"};
  const json n = numbers_of("notes", fx);
  EXPECT_EQ(n["notes"], json({"Note: the run ended after 3 frames"}));
}
