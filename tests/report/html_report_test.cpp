// The HTML report: what the writer embeds (escaping, no external resources, atomic writes), and
// what the page does in a real browser: headless Chromium loads it with #selftest, the page
// zooms and pans its timeline, hovers a span, sorts the layer table, counts what it drew of the
// GPU (timeline lanes, kernels nested in layers, tables, counter charts) and writes a JSON
// verdict into <pre id="selftest">, which --dump-dom hands back. Browser tests skip without
// Chromium.
#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "profile_fixture.h"
#include "report/html_report.h"
#include "report/profile_report.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kChromium = "/usr/bin/chromium";

#define REQUIRE_CHROMIUM()                                                                  \
  do {                                                                                      \
    if (!fs::exists(kChromium))                                                             \
      GTEST_SKIP() << kChromium << " not found: browser checks of the HTML report skipped " \
                   << "(apt-get install -y chromium)";                                      \
  } while (0)

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// A fresh folder per test under the system temp dir; kept afterwards so a failing report can be
// opened, and so the screenshot can be looked at.
fs::path out_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "yoloscope_report_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct BrowserRun {
  int status = -1;
  std::string out;  // stdout (the DOM for --dump-dom)
  std::string err;  // stderr, where --enable-logging puts console messages
};

BrowserRun run_chromium(const fs::path& dir, const std::string& args) {
  const fs::path profile = dir / "chromium-profile";
  fs::create_directories(profile);
  const fs::path err = dir / "chromium-stderr.txt";
  const std::string cmd = std::string("timeout 60 ") + kChromium +
                          " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                          " --disable-background-networking --disable-component-update"
                          " --disable-sync --disable-dev-shm-usage --hide-scrollbars"
                          " --enable-logging=stderr --v=0 --user-data-dir=" +
                          profile.string() + " " + args + " 2>" + err.string();
  BrowserRun run;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return run;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);
  run.status = pclose(pipe);
  run.err = read_file(err);
  fs::remove_all(profile);
  return run;
}

// Console messages (console.error, uncaught exceptions) in Chromium's log.
std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos)
      lines.push_back(line);
  return lines;
}

std::string unescape_html_text(std::string s) {
  const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    std::string out;
    size_t last = 0;
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, last)) {
      out.append(s, last, at - last).append(to);
      last = at + std::string(from).size();
    }
    s = out + s.substr(last);
  }
  return s;
}

// Loads report.html with #selftest and returns the page's verdict.
json selftest(const fs::path& dir, const fs::path& report, std::string* dom = nullptr) {
  const BrowserRun run =
      run_chromium(dir, "--dump-dom 'file://" + fs::absolute(report).string() + "#selftest'");
  EXPECT_EQ(run.status, 0) << run.err;
  for (const std::string& line : console_lines(run.err))
    ADD_FAILURE() << "browser console: " << line;
  const std::string open = "<pre id=\"selftest\" hidden=\"\">";
  const size_t a = run.out.find(open);
  const size_t b = run.out.find("</pre>", a);
  if (a == std::string::npos || b == std::string::npos) {
    ADD_FAILURE() << "no <pre id=\"selftest\"> in the dumped DOM:\n" << run.out.substr(0, 2000);
    return json();
  }
  if (dom) *dom = run.out;
  const std::string text = unescape_html_text(run.out.substr(a + open.size(), b - a - open.size()));
  json verdict = json::parse(text, nullptr, false);
  EXPECT_FALSE(verdict.is_discarded()) << text;
  return verdict;
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
  EXPECT_EQ(tl["counters"], json({"cpu (percent)", "memory (rss_mb)"}));
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
