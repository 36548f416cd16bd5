// A long run (profile_detail=long) through ProfileSession on a real Detector (a built-in YOLOv8n
// at 64x64 on the CPU), with a planted stall in the output stage every 0.5 s: the checkpoint
// writes a valid summary.json while the run goes on, and finish() puts the long run's buckets,
// spikes (their period, stage and flight records with layers) and finding into the summary and
// the console.
#include "session/long_run.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/clock.h"
#include "session/profile_session.h"
#include "session_fixture.h"

namespace ys {
namespace {

namespace fs = std::filesystem;

using session_test::run_frame;
using session_test::tiny_cpu;

TEST(LongRun, CheckpointsAndFinalSectionsOfAPlantedPeriodicStall) {
  const fs::path dir = session_test::fresh_dir("yoloscope_long_run_test", "planted_stall");
  fs::create_directories(dir);
  Detector det(tiny_cpu());
  LongRunOptions o;
  o.dir = dir.string();
  o.checkpoint_s = 2;
  o.duration_s = 12;
  o.recorder.warmup_seconds = 2;
  ProfileSession session(det, parse_profile_schedule("2,2,20"), false, false, o);
  const int64_t start = now_ns();
  int64_t next_stall = start + 2500000000;  // after the baseline is warm
  int64_t frame = 0;
  bool checkpoint_seen = false;
  while (!session.done()) {
    run_frame(session, det, frame, [&] {
      if (now_ns() >= next_stall) {  // a 150 ms stall of our own output, every 0.5 s
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        next_stall += 500000000;
      }
    });
    ++frame;
    if (!checkpoint_seen && fs::exists(dir / "summary.json")) {
      std::ifstream in(dir / "summary.json");
      const nlohmann::json cp = nlohmann::json::parse(in);
      checkpoint_seen = true;
      EXPECT_TRUE(cp.at("partial").get<bool>());
      EXPECT_FALSE(cp.at("long").at("checkpoint").at("final").get<bool>());
    }
  }
  EXPECT_GE(static_cast<double>(now_ns() - start) / 1e9, 11.5);
  EXPECT_TRUE(checkpoint_seen);
  RunInfo run;
  run.backend = "onednn";
  const ProfileResult r = session.finish(dir.string(), run);
  const nlohmann::json& lg = r.summary.at("long");
  EXPECT_TRUE(lg.at("checkpoint").at("final").get<bool>());
  EXPECT_GE(lg.at("buckets").at("count").size(), 8u);
  EXPECT_TRUE(lg.at("buckets").at("stages").contains("inference"));
  EXPECT_EQ(lg.at("frames").get<int64_t>(), frame);
  const nlohmann::json& sp = r.summary.at("spikes");
  ASSERT_GE(sp.at("count").get<int>(), 8) << sp.dump(1).substr(0, 3000);
  ASSERT_TRUE(sp.at("periodic").get<bool>()) << sp.at("text");
  EXPECT_NEAR(sp.at("period_s").get<double>(), 0.5, 0.05) << sp.at("text");
  // Other processes on a busy machine add spikes of their own; the planted ones are the output's.
  int output = 0;
  for (const auto& occ : sp.at("occurrences")) output += occ.at("stage") == "output";
  EXPECT_GE(output, 8) << sp.at("occurrences").dump(1).substr(0, 3000);
  EXPECT_NEAR(sp.at("duration_ms").get<double>(), 150, 75);
  // Flight records keep the frames around a spike, with layers for the traced ones.
  ASSERT_FALSE(lg.at("flight").empty());
  const nlohmann::json& rec = lg.at("flight").at(0);
  bool layers = false, spike = false;
  for (const auto& f : rec.at("frames")) {
    layers = layers || !f.at("layers").empty();
    spike = spike || f.at("spike").get<bool>();
    EXPECT_TRUE(f.at("stages").at("output").contains("start_ms"));
    EXPECT_TRUE(f.at("gpu").is_null()) << "no CUPTI on the CPU";
  }
  EXPECT_TRUE(layers && spike) << rec.dump(1).substr(0, 2000);
  EXPECT_EQ(lg.at("gpu_kernels"), nlohmann::json({{"available", false}, {"why", "not a GPU run"}}));
  EXPECT_NE(r.console.find("Spikes: "), std::string::npos) << r.console;
  EXPECT_NE(r.console.find("every 0.5 s"), std::string::npos) << r.console;
  bool advised = false;
  for (const auto& f : r.summary.at("advice")) advised = advised || f.at("id") == "spikes.periodic";
  EXPECT_TRUE(advised) << r.summary.at("advice").dump(1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ys
