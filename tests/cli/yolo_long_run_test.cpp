// profile_detail=long on the binary (issue 15's CPU checks). A sidecar process busies many more
// threads than there are cores for 0.8 s every 4 s while yolo profiles synthetic frames for a
// minute: the report must give that period within 10% and blame host_other_process with the
// sidecar's pid and command name; the same run without the sidecar must have no such finding.
// A run killed with SIGKILL must leave a valid summary.json no older than its checkpoint period.
// These take minutes and run on whatever else the machine is doing: on the shared development
// machine other builds kept 15-20 threads runnable on 2 cores, so the planted burst runs eight
// threads per core to stand out of that load, as a real culprit stands out of a quieter one.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "background_yolo.h"
#include "yolo_runner.h"

namespace ys::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kPeriodS = 4.0;
constexpr int kBurstMs = 800;
constexpr const char* kRun =
    "predict model=yolov8n source=synthetic imgsz=160 save=False verbose=False threads=1 "
    "profile=True profile_detail=long project=runs name=long";

class YoloLongRun : public YoloRunner {
 protected:
  json summary() {
    const std::string text = read_text(dir_ / "runs/long/profile/summary.json");
    return json::parse(text);
  }
};

int sidecar_threads() {
  return 8 * std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
}

TEST_F(YoloLongRun, APlantedPeriodicBurstIsFoundAndBlamedOnTheSidecar) {
  BackgroundProcess sidecar(dir_,
                            "'" YS_BURST_SIDECAR "' " +
                                std::to_string(static_cast<int>(kPeriodS * 1000)) + " " +
                                std::to_string(kBurstMs) + " " + std::to_string(sidecar_threads()),
                            "sidecar.txt");
  ASSERT_TRUE(sidecar.wait_for_output("burst_sidecar pid ", 10)) << sidecar.output();
  const int pid = std::atoi(sidecar.output().substr(sidecar.output().find("pid ") + 4).c_str());
  const YoloResult r = yolo(std::string(kRun) + " profile_duration=60");
  sidecar.stop(SIGKILL);
  ASSERT_EQ(r.code, 0) << r.output;
  const json s = summary();
  const json& sp = s.at("spikes");
  ASSERT_TRUE(sp.at("periodic").get<bool>()) << sp.dump(1).substr(0, 4000);
  const double period = sp.at("period_s").get<double>();
  EXPECT_NEAR(period, kPeriodS, 0.1 * kPeriodS) << sp.at("text");
  const json& c = sp.at("culprit");
  EXPECT_EQ(c.at("kind"), "host_other_process") << c.dump();
  EXPECT_EQ(c.value("pid", 0), pid) << c.dump();
  EXPECT_EQ(c.value("comm", ""), "burst_sidecar") << c.dump();
  // The console prints the period and the culprit; the advice carries the finding.
  EXPECT_TRUE(r.has("Spikes: ")) << r.output;
  EXPECT_TRUE(r.has("every ")) << r.output;
  EXPECT_TRUE(r.has("burst_sidecar (pid " + std::to_string(pid) + ")")) << r.output;
  bool advised = false;
  for (const json& f : s.at("advice"))
    advised =
        advised || (f.at("id") == "spikes.periodic" &&
                    f.at("finding").get<std::string>().find("burst_sidecar") != std::string::npos);
  EXPECT_TRUE(advised) << s.at("advice").dump(1);
}

TEST_F(YoloLongRun, WithoutTheSidecarThereIsNoSuchFinding) {
  const YoloResult r = yolo(std::string(kRun) + " profile_duration=60");
  ASSERT_EQ(r.code, 0) << r.output;
  const json s = summary();
  const json& sp = s.at("spikes");
  // Other processes may cause spikes here (the machine is shared), but none periodic at the
  // planted period, and nothing can name a sidecar that never ran.
  if (sp.at("periodic").get<bool>()) {
    EXPECT_GT(std::abs(sp.at("period_s").get<double>() - kPeriodS), 0.1 * kPeriodS)
        << sp.at("text");
  }
  EXPECT_EQ(s.dump().find("burst_sidecar"), std::string::npos);
  EXPECT_TRUE(s.at("long").at("buckets").at("count").size() >= 55) << "a minute of buckets";
}

TEST_F(YoloLongRun, SigkillLeavesAValidSummaryNoOlderThanTheCheckpointPeriod) {
  BackgroundProcess run(dir_, "'" YS_YOLO_BINARY "' " + std::string(kRun), "yolo.txt");
  const auto started = std::chrono::steady_clock::now();
  const fs::path path = dir_ / "runs/long/profile/summary.json";
  // The first checkpoint comes after 30 s; kill a while after it.
  for (int i = 0; i < 900 && !fs::exists(path); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(path)) << run.output();
  std::this_thread::sleep_for(std::chrono::seconds(12));
  ASSERT_TRUE(run.running()) << run.output();
  run.stop(SIGKILL);
  const double alive_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const json s = json::parse(read_text(path));  // throws (fails the test) unless whole and valid
  const json& cp = s.at("long").at("checkpoint");
  const double period = cp.at("period_s").get<double>();
  EXPECT_LE(period, 60) << "at least once a minute";
  EXPECT_FALSE(cp.at("final").get<bool>());
  // Written at most one period (and a second of start-up and snapshot) before the kill.
  EXPECT_GE(cp.at("written_at_s").get<double>(), alive_s - period - 3) << "alive " << alive_s;
  const auto age = fs::file_time_type::clock::now() - fs::last_write_time(path);
  EXPECT_LE(std::chrono::duration<double>(age).count(), period + 1);
  EXPECT_GT(s.at("long").at("frames").get<int64_t>(), 0);
  EXPECT_TRUE(s.at("spikes").contains("count"));
  for (const auto& e : fs::directory_iterator(path.parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace ys::testing
