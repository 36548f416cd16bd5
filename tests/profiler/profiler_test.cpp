// The recorder, its schedule and the analysis built on it, on a small graph run for real.
#include <gtest/gtest.h>

#include <thread>

#include "analysis/profile_analysis.h"
#include "backends/cpu/cpu_backend.h"
#include "core/error.h"
#include "model/prepare.h"
#include "profiler/profiler.h"
#include "profiler/schedule.h"

namespace ys {
namespace {

TEST(ProfileSchedule, ParsesThreeOrFourNumbersAndRefusesTheRest) {
  ProfileSchedule s = parse_profile_schedule("2,3,4");
  EXPECT_EQ(s.str(), "2,3,4,1");
  EXPECT_EQ(parse_profile_schedule("0,0,5,0").repeat, 0);
  for (const char* bad : {"", "1,2", "1,2,0", "a,b,c", "1,2,3,4,5", "-1,2,3"}) {
    EXPECT_THROW(parse_profile_schedule(bad), Error) << bad;
  }
}

TEST(ProfileSchedule, SpansAtMostIntFramesSoCountsCannotOverflow) {
  const ProfileSchedule s = parse_profile_schedule("0,0,1073741823,2");
  EXPECT_EQ(s.active_frames(), 2147483646);
  EXPECT_EQ(parse_profile_schedule("2147483646,0,1,0").phase(2147483646),
            ProfileSchedule::Phase::kActive);
  for (const char* bad :
       {"0,0,2000000000,2", "0,0,9223372036854775807", "2147483647,0,1", "0,0,1,2147483648"}) {
    EXPECT_THROW(parse_profile_schedule(bad), Error) << bad;
  }
}

TEST(ProfileSchedule, PhasesFollowWaitWarmupActiveRepeat) {
  ProfileSchedule s = parse_profile_schedule("1,2,3,2");
  using P = ProfileSchedule::Phase;
  const P expected[] = {P::kWait,   P::kWarmup, P::kWarmup, P::kActive, P::kActive,
                        P::kActive, P::kWait,   P::kWarmup, P::kWarmup, P::kActive,
                        P::kActive, P::kActive, P::kDone};
  for (int i = 0; i < 13; ++i) EXPECT_EQ(s.phase(i), expected[i]) << i;
  EXPECT_EQ(parse_profile_schedule("0,0,2,0").phase(1000), P::kActive);
}

TEST(Profiler, RecordsOnlyActiveFramesAndAlternatesOpTracing) {
  Profiler p(parse_profile_schedule("1,1,4"), 3);
  std::vector<bool> traced;
  for (int64_t f = 0; f < 8; ++f) {
    traced.push_back(p.begin_frame(f));
    p.stage_begin(PipelineStage::kInference);
    p.stage_end(PipelineStage::kInference);
    p.end_frame();
  }
  EXPECT_EQ(traced, (std::vector<bool>{false, false, true, false, true, false, false, false}));
  ASSERT_EQ(p.frames().size(), 4u);
  EXPECT_EQ(p.frames()[0].index, 2);
  EXPECT_TRUE(p.finished());
  EXPECT_GT(p.hook_cost_ns(), 0);
  EXPECT_LT(p.hook_cost_ns(), 10000) << "a hook pair must cost nanoseconds, not microseconds";
}

// A device pool's frames come whole, timed on the devices' threads (issue 21): the schedule counts
// them as begin_frame does, their spans are kept as given, and none is op-traced.
TEST(Profiler, RecordedFramesFollowTheScheduleAndAreNeverOpTraced) {
  Profiler p(parse_profile_schedule("1,1,3"), 3);
  std::vector<bool> kept;
  for (int64_t f = 0; f < 6; ++f) {
    std::array<int64_t, kPipelineStageCount> begin{}, end{};
    const auto inf = static_cast<size_t>(PipelineStage::kInference);
    begin[inf] = 1000 * (f + 1);
    end[inf] = begin[inf] + 500;
    kept.push_back(p.record_frame(f, begin, end));
  }
  EXPECT_EQ(kept, (std::vector<bool>{false, false, true, true, true, false}));
  ASSERT_EQ(p.frames().size(), 3u);
  for (const FrameRecord& r : p.frames()) EXPECT_FALSE(r.ops_traced) << "frame " << r.index;
  EXPECT_EQ(p.frames()[0].index, 2);
  EXPECT_EQ(p.frames()[0].begin_ns[static_cast<size_t>(PipelineStage::kInference)], 3000);
  EXPECT_EQ(p.frames()[0].end_ns[static_cast<size_t>(PipelineStage::kInference)], 3500);
  EXPECT_FALSE(p.measuring());
  EXPECT_TRUE(p.finished());
}

TEST(Profiler, UntracedFramesNeverWriteIntoTheWindowBuffer) {
  Profiler p(parse_profile_schedule("0,0,2"), 2);
  ASSERT_TRUE(p.begin_frame(0));
  p.on_op_begin(0);
  p.on_op_end(0);
  p.on_op_begin(1);
  p.on_op_end(1);
  p.end_frame();
  const std::vector<int64_t> first(p.op_times().begin(), p.op_times().begin() + 4);
  ASSERT_FALSE(p.begin_frame(1));
  p.on_op_begin(0);  // an observer left attached by mistake
  p.on_op_end(1);
  p.end_frame();
  EXPECT_EQ(std::vector<int64_t>(p.op_times().begin(), p.op_times().begin() + 4), first);
}

// x -> Relu -> Sigmoid -> y, nodes named like an Ultralytics export so they group into modules.
Graph two_module_graph() {
  Graph g;
  g.opset = 17;
  auto value = [&](const std::string& name) {
    Value v;
    v.name = name;
    v.shape = {1, 8, 64, 64};
    return g.add_value(v);
  };
  int x = value("images"), a = value("a"), y = value("output0");
  g.inputs = {x};
  g.outputs = {y};
  auto node = [&](const std::string& name, const char* op, int in, int out) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = {in};
    n.outputs = {out};
    g.nodes.push_back(n);
  };
  node("/model.0/Relu", "Relu", x, a);
  node("/model.1/Sigmoid", "Sigmoid", a, y);
  prepare_graph(g);
  return g;
}

TEST(ProfileAnalysis, SharesAddUpAndLayersGroupByModule) {
  Executor ex(two_module_graph(), make_cpu_backend({.threads = 1}));
  Profiler p(parse_profile_schedule("0,1,6"), ex.steps().size());
  for (int64_t f = 0; f < 7; ++f) {
    const bool trace = p.begin_frame(f);
    ex.set_observer(trace ? &p : nullptr);
    p.stage_begin(PipelineStage::kPreprocess);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    p.stage_end(PipelineStage::kPreprocess);
    p.stage_begin(PipelineStage::kInference);
    ex.run();
    p.stage_end(PipelineStage::kInference);
    p.end_frame();
  }
  ex.set_observer(nullptr);
  ProfileAnalysis a = analyze_profile(p, ex, {});
  EXPECT_EQ(a.frames_measured, 6);
  ASSERT_EQ(a.stages.size(), 2u);
  EXPECT_NEAR(a.stages[0].share_pct + a.stages[1].share_pct, 100.0, 1e-9);
  EXPECT_GE(a.stages[0].ms.median, 0.2);
  ASSERT_EQ(a.layers.size(), 2u);
  EXPECT_EQ(a.layers[0].id, "0");
  EXPECT_EQ(a.layers[1].id, "1");
  EXPECT_EQ(a.layers[0].ms.count, 3) << "layer times come from the traced half of the window";
  EXPECT_GT(a.layers[1].ms.median, 0);
  // Layer and model-stage shares are of the traced frames' inference median (issue 14), and a
  // model stage is the sum of its layers.
  EXPECT_EQ(a.share_basis_frames, 3);
  EXPECT_GT(a.share_basis_ms, 0);
  EXPECT_NEAR(a.layers[0].share_pct, 100.0 * a.layers[0].ms.median / a.share_basis_ms, 1e-9);
  EXPECT_NEAR(a.layer_sum_ms, a.layers[0].ms.median + a.layers[1].ms.median, 1e-12);
  // The layers lie inside the inference stage in every traced frame. (Not as medians: a sum of
  // per-layer medians, each from another frame, can exceed the inference median, and under load
  // did, by 2%.)
  const size_t inference = static_cast<size_t>(PipelineStage::kInference);
  for (const FrameRecord& f : p.frames()) {
    if (!f.ops_traced) continue;
    const int64_t* op = &p.op_times()[f.op_offset];
    EXPECT_GE(op[0], f.begin_ns[inference]);
    EXPECT_LE(op[3], f.end_ns[inference]);
    EXPECT_LE((op[1] - op[0]) + (op[3] - op[2]), f.end_ns[inference] - f.begin_ns[inference]);
  }
  double stage_sum = 0;
  for (const ModelStageResult& r : a.model_stages) {
    stage_sum += r.ms.median;
    EXPECT_NEAR(r.share_pct, 100.0 * r.ms.median / a.share_basis_ms, 1e-9);
  }
  EXPECT_NEAR(stage_sum, a.layer_sum_ms, 1e-12);
  EXPECT_EQ(a.ops.size(), 2u);
  EXPECT_EQ(a.overhead.pairs, 3);
  EXPECT_TRUE(a.overhead.measured);
  EXPECT_GT(a.overhead.estimated_pct, 0);
  EXPECT_EQ(a.layers[0].activation_bytes, 8 * 64 * 64 * 4);
  EXPECT_GT(a.arena_bytes, 0);
}

// A frame begun when the source had ended ran nothing: discarded, it leaves no trace and the
// next frame takes its place in the op-tracing alternation.
TEST(Profiler, ADiscardedFrameIsNotRecorded) {
  Profiler p(parse_profile_schedule("0,0,4"), 2);
  EXPECT_TRUE(p.begin_frame(0));
  p.stage_begin(PipelineStage::kInference);
  EXPECT_TRUE(p.stage_ran(PipelineStage::kInference));
  p.end_frame();
  EXPECT_FALSE(p.begin_frame(1));
  p.stage_begin(PipelineStage::kRead);
  p.stage_end(PipelineStage::kRead);
  EXPECT_FALSE(p.stage_ran(PipelineStage::kInference));
  p.discard_frame();
  EXPECT_FALSE(p.measuring());
  p.end_frame();
  ASSERT_EQ(p.frames().size(), 1u);
  EXPECT_EQ(p.frames_seen(), 1);
  EXPECT_FALSE(p.begin_frame(2)) << "frame 2 is the second active frame: untraced";
  EXPECT_EQ(p.frames().back().index, 2);
}

}  // namespace
}  // namespace ys
