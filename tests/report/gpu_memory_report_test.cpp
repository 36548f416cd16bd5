// Device memory over time in summary.json and on the page (issue 15.5): NVML samples of a run on a
// shared GPU (ours steady, another process arriving with 20 GiB) become `gpu.memory`, and the page
// draws used, ours and the others' memory against the planned arena, and names the other process.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/gpu_memory.h"
#include "browser.h"
#include "profile_fixture.h"
#include "report/gpu_memory_json.h"
#include "report/html_report.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int64_t kMiB = 1024 * 1024;
constexpr int kOurs = 1000;

// Ten seconds at 20 samples a second: we hold 2 GiB throughout; python3 (pid 4242) holds 20 GiB
// from 4 s to 7 s; NVML lists no process in the last second.
std::vector<ys::NvmlSample> shared_gpu_samples() {
  std::vector<ys::NvmlSample> out;
  for (int i = 0; i < 200; ++i) {
    ys::NvmlSample s;
    s.t_ns = int64_t{i} * 50000000;
    const bool other = i >= 80 && i < 140;
    s.mem_used_bytes = (other ? 22600 : 2100) * kMiB;
    if (i < 180) {
      s.processes.push_back({kOurs, "yolo", 2048 * kMiB, {}});
      if (other) s.processes.push_back({4242, "python3", 20480 * kMiB, {}});
    }
    out.push_back(s);
  }
  return out;
}

json memory_section() {
  return ys::gpu_memory_json(
      ys::gpu_memory_over_time(shared_gpu_samples(), kOurs, 0, 64),
      {.arena_bytes = 300 * kMiB, .weights_bytes = 12 * kMiB, .workspace_bytes = 68 * kMiB});
}

}  // namespace

TEST(GpuMemoryJson, ColumnsPerDeviceWithNullsWhereNvmlDidNotSay) {
  const json m = memory_section();
  EXPECT_EQ(m["arena_bytes"], 300 * kMiB);
  EXPECT_EQ(m["workspace_bytes"], 68 * kMiB);
  ASSERT_EQ(m["devices"].size(), 1u);
  const json& d = m["devices"][0];
  EXPECT_EQ(d["samples"], 200);
  EXPECT_LE(d["points"].get<int>(), 64);
  EXPECT_EQ(d["t_s"].size(), d["points"]);
  EXPECT_EQ(d["used_max_mib"], 22600.0);
  EXPECT_EQ(d["ours_max_mib"], 2048.0);
  EXPECT_EQ(d["others_max_mib"], 20480.0);
  EXPECT_TRUE(d["ours_mib"].back().is_null()) << "the last second listed no process";
  ASSERT_EQ(d["others"].size(), 1u);
  EXPECT_EQ(d["others"][0], json({{"pid", 4242}, {"comm", "python3"}, {"max_mib", 20480.0}}));
  const json none = ys::gpu_memory_json({}, {});
  EXPECT_TRUE(none["arena_bytes"].is_null());
  EXPECT_TRUE(none["devices"].empty());
}

TEST(GpuMemoryReportBrowser, DrawsOursOthersAndThePlan) {
  REQUIRE_CHROMIUM();
  const fs::path dir = ys::testing::out_dir("gpu_memory");
  ys::testing::ProfileFixture fx = ys::testing::yolov8n_gpu_profile(6);
  fx.summary["gpu"]["memory"] = memory_section();
  ys::write_html_report((dir / "report.html").string(), fx.summary, fx.trace);
  const json v = ys::testing::selftest(dir, dir / "report.html");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2).substr(0, 3000);
  const json& g = v["gpu_memory"];
  ASSERT_TRUE(g.value("shown", false)) << v.dump(2).substr(0, 3000);
  EXPECT_EQ(g["lines"], 3) << g.dump();
  EXPECT_EQ(g["refs"], json({"activation arena 300.0 MiB",
                             "arena + weights + cuDNN/cuBLAS workspaces 380.0 MiB"}))
      << g.dump();
  EXPECT_NE(g.value("others", "").find("python3 (pid 4242) up to 20.00 GiB"), std::string::npos)
      << g.dump();

  const fs::path png = dir / "gpu_memory.png";
  const ys::testing::BrowserRun shot =
      ys::testing::run_chromium(dir, "--window-size=1400,5600 --screenshot=" + png.string() +
                                         " 'file://" + (dir / "report.html").string() + "'");
  ASSERT_EQ(shot.status, 0) << shot.err;
  std::cout << "screenshot: " << png.string() << "\n";
}
