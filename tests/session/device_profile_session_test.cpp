// A profiled run over several devices (issue 21) on the device-pool tests' fake devices (the CPU
// backend with set delays and failures, tests/pipeline/fake_device.h), driven as yolo predict
// drives device=0,1 profile=True: a DetectorPool's frame loop with a pool session observing it.
// summary.json gains one entry per device with its frames, busy time and batch latency, the
// imbalance, and a failed device with its lost frames; trace.json a process per device; the
// console a line per device; the advisor its several-device rules. Only counts, names and the
// order of set delays are asserted: the delays are large against a loaded machine's noise.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "../pipeline/fake_device.h"
#include "pipeline/detector_pool.h"
#include "session/profile_session.h"

namespace ys {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::fake_device_detector;
using testing::FakeDeviceSpec;

DetectorOptions tiny_options() {
  DetectorOptions o;
  o.model = "yolov8n.yaml";
  o.imgsz_h = o.imgsz_w = 64;
  o.threads = 1;
  return o;
}

DetectorPool fake_pool(const std::vector<FakeDeviceSpec>& specs) {
  return testing::fake_pool(tiny_options(), specs);
}

struct ProfiledPoolRun {
  PoolRun pool;
  ProfileResult result;
  json trace;
};

ProfiledPoolRun profile_pool(DetectorPool& pool, int frames, const std::string& name) {
  SourceSpec spec;
  spec.source = "synthetic";
  spec.synthetic_frames = frames;
  spec.synthetic_width = 96;
  spec.synthetic_height = 64;
  auto source = open_source(spec);
  ProfileSession session(pool.detectors(), pool.devices(),
                         parse_profile_schedule("0,0," + std::to_string(frames)));
  ProfiledPoolRun r;
  pool.run({.source = source.get(),
            .deliver = [](const DetectedBatch&) { return true; },
            .observers = {&session}},
           r.pool);
  const fs::path dir = fs::temp_directory_path() / "yoloscope_device_profile_test" / name;
  fs::remove_all(dir);
  RunInfo run;
  run.device = "0,1";
  r.result = session.finish(dir.string(), run, {}, r.pool.devices);
  std::ifstream trace(dir / "trace.json");
  r.trace = json::parse(trace);
  return r;
}

bool has_finding(const json& advice, const std::string& id) {
  for (const json& f : advice)
    if (f.value("id", "") == id) return true;
  return false;
}

TEST(DeviceProfile, EachDeviceHasItsFramesLatencyAndLaneAndTheImbalanceIsAdvised) {
  DetectorPool pool = fake_pool({{.name = "0", .delay_ms = 400}, {.name = "1"}});
  const ProfiledPoolRun r = profile_pool(pool, 12, "slow_device");
  const json& s = r.result.summary;
  ASSERT_TRUE(s["devices"].is_array()) << s["devices"].dump();
  ASSERT_EQ(s["devices"].size(), 2u);
  const json &slow = s["devices"][0], &fast = s["devices"][1];
  EXPECT_EQ(slow["device"], "0");
  EXPECT_EQ(fast["device"], "1");
  // The frames the loop counted, every frame once.
  EXPECT_EQ(slow["frames"], r.pool.devices[0].frames);
  EXPECT_EQ(fast["frames"], r.pool.devices[1].frames);
  EXPECT_EQ(slow["frames"].get<int64_t>() + fast["frames"].get<int64_t>(), 12);
  EXPECT_LT(slow["frames"].get<int64_t>(), fast["frames"].get<int64_t>());
  // Batch 1: each batch of the window is one frame; its latency carries the set delay.
  EXPECT_EQ(slow["measured_batches"], slow["frames"]);
  EXPECT_GE(slow["batch_latency_ms"]["median"].get<double>(), 400.0);
  EXPECT_LT(fast["batch_latency_ms"]["median"].get<double>(), 400.0);
  EXPECT_GT(slow["busy_pct"].get<double>(), 0.0);
  // No GPU was sampled: NVML's figures are unknown, not zero.
  EXPECT_TRUE(slow["utilization_pct"].is_null());
  EXPECT_TRUE(slow["memory_used_max_bytes"].is_null());
  EXPECT_TRUE(slow["sm_clock_mhz"].is_null());
  EXPECT_FALSE(slow["failed"].get<bool>());
  EXPECT_GT(s["device_balance"]["frame_imbalance_pct"].get<double>(), 30.0);
  EXPECT_EQ(s["device_balance"]["devices"], 2);
  EXPECT_GE(s["device_balance"]["numa_nodes"].get<int>(), 1);
  EXPECT_TRUE(slow["numa_node"].is_null()) << "a fake device has no PCIe slot";
  EXPECT_TRUE(has_finding(s["advice"], "devices.imbalance")) << s["advice"].dump(1);
  // The run's own figures: every batch measured, stage times from the devices.
  EXPECT_EQ(s["run"]["frames_measured"], 12);
  std::set<std::string> stages;
  for (const json& st : s["stages"]) stages.insert(st["name"].get<std::string>());
  EXPECT_TRUE(stages.count("inference")) << s["stages"].dump();
  EXPECT_TRUE(s["overhead"]["measured"] == false) << "no op was traced";
  // Nor any layer: no model stage, no slowest layer, in the summary or the console.
  EXPECT_TRUE(s["model_stages"].empty()) << s["model_stages"].dump();
  EXPECT_TRUE(s["top_layers"].empty()) << s["top_layers"].dump();
  // A lane of stages per device in the timeline.
  std::map<int, std::string> process;
  std::map<int, int> inference_spans;
  for (const json& e : r.trace["traceEvents"]) {
    if (e.value("name", "") == "process_name") process[e["pid"]] = e["args"]["name"];
    if (e.value("ph", "") == "X" && e.value("name", "") == "inference" && e["pid"] != 1)
      ++inference_spans[e["pid"].get<int>()];
  }
  ASSERT_TRUE(process.count(200) && process.count(201));
  EXPECT_EQ(process[200], "Device 0");
  EXPECT_EQ(process[201], "Device 1");
  EXPECT_EQ(inference_spans[200], slow["measured_batches"].get<int>());
  EXPECT_EQ(inference_spans[201], fast["measured_batches"].get<int>());
  // The console: one line per device and the balance.
  const std::string& con = r.result.console;
  EXPECT_NE(con.find("Device 0: " + std::to_string(slow["frames"].get<int>()) + " frames"),
            std::string::npos)
      << con;
  EXPECT_NE(con.find("Device 1: "), std::string::npos) << con;
  EXPECT_NE(con.find("Devices: imbalance"), std::string::npos) << con;
  EXPECT_EQ(con.find("Slowest layers"), std::string::npos) << con;
  EXPECT_NE(con.find("not measured (no frame's ops were traced)"), std::string::npos) << con;
}

TEST(DeviceProfile, AFailedDeviceIsInTheProfileWithItsLostFrames) {
  DetectorPool pool =
      fake_pool({{.name = "0", .delay_ms = 100}, {.name = "1", .delay_ms = 100, .fail_at = 2}});
  const ProfiledPoolRun r = profile_pool(pool, 10, "failed_device");
  const json& bad = r.result.summary["devices"][1];
  EXPECT_TRUE(bad["failed"].get<bool>());
  EXPECT_NE(bad["error"].get<std::string>().find("Xid 79"), std::string::npos) << bad.dump();
  ASSERT_EQ(bad["lost_frames"].size(), 1u);
  EXPECT_EQ(bad["lost_frames"][0], r.pool.devices[1].lost_frames.at(0));
  EXPECT_FALSE(r.result.summary["devices"][0]["failed"].get<bool>());
  // The lost batch was never delivered: it is not among the measured frames.
  EXPECT_EQ(r.result.summary["run"]["frames_measured"], 9);
  EXPECT_NE(r.result.console.find("Device 1: 1 frames"), std::string::npos) << r.result.console;
  EXPECT_NE(r.result.console.find("FAILED (1 frames lost)"), std::string::npos) << r.result.console;
}

// device=0,1 streams=2: four detectors, two devices in the profile.
TEST(DeviceProfile, StreamsPerDeviceProfileOneEntryPerDevice) {
  DetectorPool pool = fake_pool(
      {{.name = "0", .delay_ms = 20}, {.name = "1"}, {.name = "0", .delay_ms = 20}, {.name = "1"}});
  const ProfiledPoolRun r = profile_pool(pool, 12, "streams_per_device");
  const json& d = r.result.summary["devices"];
  ASSERT_EQ(d.size(), 2u) << d.dump();
  EXPECT_EQ(d[0]["device"], "0");
  EXPECT_EQ(d[1]["device"], "1");
  EXPECT_EQ(d[0]["frames"].get<int64_t>() + d[1]["frames"].get<int64_t>(), 12);
  EXPECT_EQ(d[0]["measured_batches"].get<int64_t>() + d[1]["measured_batches"].get<int64_t>(), 12);
  int processes = 0;
  for (const json& e : r.trace["traceEvents"])
    if (e.value("name", "") == "process_name" && e["pid"].get<int>() >= 200) ++processes;
  EXPECT_EQ(processes, 2);
}

TEST(DeviceProfile, AOneDeviceRunHasNoDevicesSection) {
  Detector det(tiny_options());
  ProfileSession session(det, parse_profile_schedule("0,0,1"));
  session.begin_frame(0);
  det.detect(Tensor(DType::kUInt8, {48, 64, 3}));
  session.end_frame();
  const fs::path dir = fs::temp_directory_path() / "yoloscope_device_profile_test" / "one";
  fs::remove_all(dir);
  const ProfileResult r = session.finish(dir.string(), RunInfo{});
  EXPECT_TRUE(r.summary["devices"].is_null());
  EXPECT_TRUE(r.summary["device_balance"].is_null());
  EXPECT_EQ(r.console.find("Device 0:"), std::string::npos) << r.console;
}

}  // namespace
}  // namespace ys
