// The several-device rules (issue 21) on constructed figures: each fires on the case it names and
// stays silent on a balanced run, and advise() passes RunFacts::devices to them.
#include <gtest/gtest.h>

#include <algorithm>

#include "analysis/advisor.h"

namespace ys {
namespace {

DeviceFacts dev(const std::string& name, int64_t frames, double busy_ms,
                std::optional<double> clock = std::nullopt) {
  DeviceFacts d;
  d.device = name;
  d.frames = frames;
  d.busy_ms = busy_ms;
  d.sm_clock_mhz = clock;
  return d;
}

std::vector<std::string> ids(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const Finding& f : fs) out.push_back(f.id);
  return out;
}

bool has(const std::vector<Finding>& fs, const std::string& id) {
  const auto v = ids(fs);
  return std::find(v.begin(), v.end(), id) != v.end();
}

TEST(DeviceRules, ABalancedRunHasNoFinding) {
  const DeviceBalance b{.wall_ms = 1000,
                        .feeder_busy_pct = 40,
                        .devices = {dev("0", 500, 900, 1980), dev("1", 480, 890, 1965)}};
  EXPECT_TRUE(device_findings(b).empty());
}

TEST(DeviceRules, OneDeviceHasNoFinding) {
  const DeviceBalance b{.wall_ms = 1000, .feeder_busy_pct = 99, .devices = {dev("0", 5, 1)}};
  EXPECT_TRUE(device_findings(b).empty());
}

TEST(DeviceRules, AnIdleDeviceIsNamed) {
  const DeviceBalance b{.wall_ms = 1000, .devices = {dev("0", 100, 950), dev("1", 0, 0)}};
  const auto fs = device_findings(b);
  ASSERT_TRUE(has(fs, "devices.idle")) << ::testing::PrintToString(ids(fs));
  const auto it =
      std::find_if(fs.begin(), fs.end(), [](const Finding& f) { return f.id == "devices.idle"; });
  EXPECT_NE(it->finding.find("device 1 was busy 0.0%"), std::string::npos) << it->finding;
  EXPECT_TRUE(has(fs, "devices.imbalance"));  // 100 against 0 frames
}

TEST(DeviceRules, AnImbalanceAboveAQuarterIsReportedWithBothShares) {
  const DeviceBalance b{.wall_ms = 1000, .devices = {dev("0", 60, 900), dev("1", 40, 900)}};
  const auto fs = device_findings(b);
  ASSERT_EQ(ids(fs), std::vector<std::string>{"devices.imbalance"});
  EXPECT_NE(fs[0].finding.find("device 1 took 40, device 0 60 (imbalance 33%)"), std::string::npos)
      << fs[0].finding;
  // 60 against 50 frames (17%) is below the threshold.
  const DeviceBalance even{.wall_ms = 1000, .devices = {dev("0", 60, 900), dev("1", 50, 900)}};
  EXPECT_FALSE(has(device_findings(even), "devices.imbalance"));
}

TEST(DeviceRules, AFeederThatBoundsEveryDevice) {
  DeviceBalance b{
      .wall_ms = 1000, .feeder_busy_pct = 96, .devices = {dev("0", 50, 300), dev("1", 50, 320)}};
  ASSERT_EQ(ids(device_findings(b)), std::vector<std::string>{"devices.feeder_bound"});
  // A device busy most of the run is not bounded by the feeder, however busy it is.
  b.devices[1].busy_ms = 800;
  EXPECT_FALSE(has(device_findings(b), "devices.feeder_bound"));
  b.devices[1].busy_ms = 320;
  b.feeder_busy_pct = 80;
  EXPECT_FALSE(has(device_findings(b), "devices.feeder_bound"));
}

TEST(DeviceRules, ADeviceThrottlingBelowTheOthers) {
  const DeviceBalance b{
      .wall_ms = 1000,
      .devices = {dev("0", 50, 900, 1980), dev("1", 48, 900, 1410), dev("2", 50, 900, 1900)}};
  const auto fs = device_findings(b);
  ASSERT_EQ(ids(fs), std::vector<std::string>{"devices.throttled"});
  EXPECT_NE(fs[0].finding.find("device 1 ran its SMs at 1410 MHz, 29% below"), std::string::npos)
      << fs[0].finding;
  EXPECT_NE(fs[0].fix.find("-i 1"), std::string::npos) << fs[0].fix;
}

TEST(DeviceRules, AdviseReadsRunFactsDevices) {
  ProfileAnalysis a;
  RunFacts run;
  run.device = "0,1";
  run.devices = DeviceBalance{.wall_ms = 1000, .devices = {dev("0", 90, 900), dev("1", 10, 100)}};
  EXPECT_TRUE(has(advise(a, InputStats{}, run), "devices.imbalance"));
  run.devices.reset();
  EXPECT_FALSE(has(advise(a, InputStats{}, run), "devices.imbalance"));
}

}  // namespace
}  // namespace ys
