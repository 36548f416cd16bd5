// ProfileSession driving a real Detector (a built-in YOLOv8n at 64x64 on the CPU) the way the CLI
// does: what a run says about settings that do nothing on its device, and about a source that
// ends before the profile schedule is through.
#include "session/profile_session.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "pipeline/detector.h"
#include "session_fixture.h"

namespace ys {
namespace {

using session_test::run_frame;
using session_test::tiny_cpu;

std::filesystem::path out_dir(const std::string& name) {
  return session_test::fresh_dir("yoloscope_profile_session_test", name);
}

bool has_note(const nlohmann::json& summary, const std::string& text) {
  for (const auto& n : summary["run"]["notes"])
    if (n.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

TEST(ProfileSession, DetailedOnACpuRunSaysItChangedNothing) {
  Detector det(tiny_cpu());
  ProfileSession session(det, parse_profile_schedule("0,0,4"), false, /*gpu_detailed=*/true);
  for (int64_t f = 0; f < 4; ++f) run_frame(session, det, f);
  RunInfo run;
  run.backend = "onednn";
  const ProfileResult r = session.finish(out_dir("detailed_cpu").string(), run);
  EXPECT_TRUE(has_note(r.summary, "profile_detail=detailed")) << r.summary["run"].dump(1);
  EXPECT_NE(r.console.find("Note: profile_detail=detailed"), std::string::npos) << r.console;
  EXPECT_TRUE(r.summary["gpu"].is_null());
}

// The CLI begins a frame, then finds the source empty and ends it: that frame ran nothing and
// once counted as a measured frame of a few microseconds.
TEST(ProfileSession, ASourceShorterThanTheScheduleIsNotedAndItsEmptyFrameIsNotCounted) {
  Detector det(tiny_cpu());
  ProfileSession session(det, parse_profile_schedule("0,0,10"));
  for (int64_t f = 0; f < 3; ++f) run_frame(session, det, f);
  session.begin_frame(3);
  session.stage_begin(PipelineStage::kRead);
  session.stage_end(PipelineStage::kRead);
  session.end_frame();
  const ProfileResult r = session.finish(out_dir("short_source").string(), RunInfo{});
  EXPECT_EQ(r.summary["run"]["frames_measured"], 3);
  EXPECT_EQ(r.summary["frames"]["latency_ms"].size(), 3u);
  for (const auto& ms : r.summary["frames"]["latency_ms"])
    EXPECT_GT(ms.get<double>(), 0.05) << "a frame that ran nothing was counted";
  EXPECT_TRUE(has_note(r.summary, "3 of the 10 active frames")) << r.summary["run"].dump(1);
  EXPECT_NE(r.console.find("3 of the 10 active frames"), std::string::npos) << r.console;
}

TEST(ProfileSession, AFullScheduleHasNoNotes) {
  Detector det(tiny_cpu());
  ProfileSession session(det, parse_profile_schedule("0,0,2"));
  for (int64_t f = 0; f < 2; ++f) run_frame(session, det, f);
  const ProfileResult r = session.finish(out_dir("full").string(), RunInfo{});
  EXPECT_TRUE(r.summary["run"]["notes"].empty()) << r.summary["run"].dump(1);
}

}  // namespace
}  // namespace ys
