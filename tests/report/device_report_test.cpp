// Several devices in the report (issue 21): a device profile made from set figures (two devices,
// one sampled by NVML, the other failed with two lost frames) becomes summary.json's devices and
// device_balance, and the page shows its Devices section (a row per device with its frames,
// latency, NVML figures and status, the imbalance above) and a timeline process per device.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/device_profile.h"
#include "browser.h"
#include "profile_fixture.h"
#include "report/device_profile_json.h"
#include "report/html_report.h"

namespace {

using nlohmann::json;

constexpr int64_t kMs = 1000000;

// Device 0 (NVML index 0): 9 frames in 9 batches of 4 ms; device 1: 3 frames in batches of 12 ms,
// then failed holding frames 10 and 11.
struct TwoDevices {
  std::vector<ys::DeviceBatch> batches;
  std::vector<ys::NvmlSample> nvml;
  ys::DeviceProfile profile;
};

TwoDevices two_devices() {
  TwoDevices t;
  std::vector<ys::DeviceTotals> totals = {
      {.device = "0", .frames = 9, .batches = 9, .busy_ms = 36, .read_ms = 5, .nvml_index = 0},
      {.device = "1",
       .frames = 3,
       .batches = 3,
       .busy_ms = 36,
       .read_ms = 2,
       .failed = true,
       .error = "CUDA error: an illegal memory access (Xid 79)",
       .lost_frames = {10, 11}}};
  auto batch = [](size_t device, int64_t frame, int64_t at_ms, int64_t len_ms) {
    ys::DeviceBatch b{.device = device, .first_frame = frame, .frames = 1};
    const auto pre = static_cast<size_t>(ys::PipelineStage::kPreprocess);
    const auto inf = static_cast<size_t>(ys::PipelineStage::kInference);
    const auto nms = static_cast<size_t>(ys::PipelineStage::kNms);
    b.begin_ns[pre] = at_ms * kMs;
    b.end_ns[pre] = b.begin_ns[inf] = at_ms * kMs + kMs;
    b.end_ns[inf] = b.begin_ns[nms] = (at_ms + len_ms) * kMs - kMs;
    b.end_ns[nms] = (at_ms + len_ms) * kMs;
    return b;
  };
  for (int64_t i = 0; i < 9; ++i) t.batches.push_back(batch(0, i, 1 + 4 * i, 4));
  for (int64_t i = 0; i < 3; ++i) t.batches.push_back(batch(1, 9 + i, 1 + 12 * i, 12));
  std::vector<ys::NvmlSample> nvml;
  for (int i = 0; i < 10; ++i) {
    ys::NvmlSample s;
    s.t_ns = i * 4 * kMs;
    s.device = 0;
    s.gpu_util_pct = 60 + 4 * i;  // mean 78
    s.sm_clock_mhz = i < 5 ? 1980 : 1755;
    s.mem_used_bytes = (2000 + 10 * i) * int64_t{1048576};
    nvml.push_back(s);
  }
  t.profile = ys::analyze_devices(totals, t.batches, nvml, 40);
  t.nvml = nvml;
  return t;
}

TEST(DeviceProfileJson, FiguresPerDeviceAndNullWhereNvmlDidNotSay) {
  const TwoDevices t = two_devices();
  const json d = ys::devices_json(t.profile);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["device"], "0");
  EXPECT_EQ(d[0]["frames"], 9);
  EXPECT_EQ(d[0]["frame_share_pct"], 75.0);
  EXPECT_EQ(d[0]["busy_pct"], 90.0);
  EXPECT_EQ(d[0]["batch_latency_ms"]["median"], 4.0);
  EXPECT_EQ(d[0]["nvml_samples"], 10);
  EXPECT_EQ(d[0]["utilization_pct"], 78.0);
  EXPECT_EQ(d[0]["sm_clock_mhz"], 1868.0);  // 1867.5, the median of 1980 and 1755, in whole MHz
  EXPECT_EQ(d[0]["memory_used_max_bytes"], 2090 * int64_t{1048576});
  EXPECT_TRUE(d[1]["utilization_pct"].is_null());
  EXPECT_TRUE(d[1]["sm_clock_mhz"].is_null());
  EXPECT_EQ(d[1]["batch_latency_ms"]["median"], 12.0);
  EXPECT_TRUE(d[1]["failed"].get<bool>());
  EXPECT_EQ(d[1]["lost_frames"], json({10, 11}));
  const json b = ys::device_balance_json(t.profile);
  EXPECT_EQ(b["frame_imbalance_pct"], 66.67);
  EXPECT_EQ(b["busy_imbalance_pct"], 0.0);
  EXPECT_EQ(b["feeder_busy_pct"], 17.5);
  EXPECT_TRUE(b["links"].is_null()) << "no topology was given";
  EXPECT_EQ(b["numa_nodes"], 1);
  EXPECT_TRUE(d[0]["numa_node"].is_null());
  ys::DeviceProfile linked = t.profile;
  linked.links.push_back({"0", "1", "one PCIe switch"});
  EXPECT_EQ(ys::device_balance_json(linked)["links"],
            json::parse(R"([{"devices": ["0", "1"], "path": "one PCIe switch"}])"));
  EXPECT_NE(ys::devices_console(linked).find("devices 0 and 1: one PCIe switch"),
            std::string::npos);
  const ys::DeviceBalance advisor = ys::device_balance(t.profile);
  ASSERT_EQ(advisor.devices.size(), 2u);
  EXPECT_EQ(advisor.devices[0].sm_clock_mhz, 1867.5);
  const std::string con = ys::devices_console(t.profile);
  EXPECT_NE(con.find("Device 0: 9 frames (75%) in 9 batches"), std::string::npos) << con;
  EXPECT_NE(con.find("GPU 78%"), std::string::npos) << con;
  EXPECT_NE(con.find("Device 1: 3 frames (25%)"), std::string::npos) << con;
  EXPECT_NE(con.find("FAILED (2 frames lost): CUDA error"), std::string::npos) << con;
  EXPECT_NE(con.find("imbalance 67% in frames"), std::string::npos) << con;
}

TEST(DeviceReportBrowser, ShowsARowPerDeviceAndALanePerDevice) {
  REQUIRE_CHROMIUM();
  const std::filesystem::path dir = ys::testing::out_dir("devices");
  ys::testing::ProfileFixture fx = ys::testing::yolov8n_profile(12);
  const TwoDevices t = two_devices();
  fx.summary["devices"] = ys::devices_json(t.profile);
  fx.summary["device_balance"] = ys::device_balance_json(t.profile);
  for (json& e : ys::device_trace_events(t.profile, t.batches, t.nvml, 0))
    fx.trace["traceEvents"].push_back(std::move(e));
  ys::write_html_report((dir / "report.html").string(), fx.summary, fx.trace);
  const json v = ys::testing::selftest(dir, dir / "report.html");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2).substr(0, 3000);
  const json& d = v["devices"];
  ASSERT_TRUE(d.value("shown", false)) << v.dump(2).substr(0, 3000);
  ASSERT_EQ(d["rows"].size(), 2u) << d.dump();
  const json& row0 = d["rows"][0]["cells"];
  EXPECT_EQ(d["rows"][0]["device"], "0");
  EXPECT_EQ(row0[1], "9");
  EXPECT_EQ(row0[2], "75.0 %");
  EXPECT_EQ(row0[6], "4.00");
  EXPECT_EQ(row0[8], "78.0 %");
  EXPECT_EQ(row0[10], "1868 MHz");
  EXPECT_EQ(row0[11], "ok");
  const json& row1 = d["rows"][1]["cells"];
  EXPECT_EQ(row1[8], "\u2014") << "no NVML: a dash, not 0";
  EXPECT_NE(row1[11].get<std::string>().find("failed: CUDA error"), std::string::npos) << row1;
  EXPECT_NE(row1[11].get<std::string>().find("(2 frames lost)"), std::string::npos) << row1;
  EXPECT_NE(d["balance"].get<std::string>().find("imbalance 67 % in frames"), std::string::npos)
      << d["balance"];
  ASSERT_EQ(d["lanes"].size(), 2u) << d.dump();
  EXPECT_EQ(d["lanes"][0]["process"], "Device 0");
  EXPECT_EQ(d["lanes"][0]["spans"], 27);  // 9 batches of 3 stages
  EXPECT_EQ(d["lanes"][1]["process"], "Device 1");
  EXPECT_EQ(d["lanes"][1]["spans"], 9);
  // NVML's counters of device 0, named with it; device 1 had none.
  std::vector<std::string> counters;
  for (const json& c : v["timeline"]["counters"]) counters.push_back(c.get<std::string>());
  EXPECT_NE(std::find(counters.begin(), counters.end(), "Device 0 GPU utilization (percent)"),
            counters.end())
      << v["timeline"]["counters"].dump();
  for (const std::string& c : counters) EXPECT_EQ(c.find("Device 1"), std::string::npos) << c;
}

TEST(DeviceReportBrowser, AOneDeviceRunHidesTheSection) {
  REQUIRE_CHROMIUM();
  const std::filesystem::path dir = ys::testing::out_dir("devices_none");
  ys::testing::ProfileFixture fx = ys::testing::yolov8n_profile(4);
  fx.summary["devices"] = nullptr;
  ys::write_html_report((dir / "report.html").string(), fx.summary, fx.trace);
  const json v = ys::testing::selftest(dir, dir / "report.html");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2).substr(0, 3000);
  EXPECT_FALSE(v["devices"].value("shown", true));
}

}  // namespace
