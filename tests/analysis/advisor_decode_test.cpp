// pipeline.decode_bound (issue 20.4) on constructed figures: when it fires, its fix and its
// estimate, and every condition that keeps it quiet; then through advise(), from a profile's
// stage medians (decode_facts), and the profile's decode stage under decoder=nvdec.
#include <gtest/gtest.h>

#include "analysis/advisor.h"
#include "analysis/chrome_trace.h"
#include "analysis/decode_bound.h"
#include "analysis/profile_analysis.h"

namespace ys {
namespace {

// vtest.avi on an H200 as gpu_check found it: ~1,038 frames/s of CPU decoding, 0.46 ms a frame of
// detection.
DecodeFacts cpu_bound() {
  DecodeFacts d;
  d.on_gpu = true;
  d.frames = 795;
  d.wall_ms = 795 / 1.0;  // 1,000 frames/s
  d.decode_ms = 0.95 * d.wall_ms;
  d.detect_busy_ms = 795 * 0.46;
  return d;
}

TEST(DecodeBound, FiresOnAGpuRunBoundByCpuDecodingWithNvdecAsTheFix) {
  const auto f = decode_bound_finding(cpu_bound());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->id, "pipeline.decode_bound");
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_EQ(f->finding,
            "CPU decoding bounds the run: it was busy 95.0% of the run while the GPU's detection "
            "filled 46.0% (1000 frames/s)");
  EXPECT_EQ(f->fix, "decoder=nvdec (decode on the GPU, straight into the model's input)");
  EXPECT_TRUE(f->settings.empty()) << "decoder= is not a detector option the what-if can try";
  EXPECT_NEAR(f->expected_gain_pct, 54.0, 1e-9);
}

TEST(DecodeBound, AsksForNvjpegOnImages) {
  DecodeFacts d = cpu_bound();
  d.video = false;
  const auto f = decode_bound_finding(d);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->fix, "decoder=nvjpeg (decode on the GPU, straight into the model's input)");
}

TEST(DecodeBound, StaysQuietWhereTheGpuDecoderWouldNotHelp) {
  DecodeFacts d = cpu_bound();
  d.on_gpu = false;  // the model on the CPU: decoding on the GPU is no fix
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.decoder = "nvdec";  // already decoding on the GPU
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.gpu_codec = false;  // DivX 3: NVDEC cannot take it
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.decode_ms = 0.79 * d.wall_ms;  // decoding is not the bound
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.detect_busy_ms = 0.6 * d.wall_ms;  // detection fills the run enough
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.wall_ms = 0;  // no run
  EXPECT_FALSE(decode_bound_finding(d));
}

// A one-detector profile of 100 batches: each stage's median, in ms.
ProfileAnalysis profile(double read, double inference, double output = 0.02) {
  ProfileAnalysis a;
  auto stage = [&](const char* name, double ms) {
    StageResult s;
    s.name = name;
    s.ms.median = ms;
    a.stages.push_back(s);
  };
  stage("read", read);
  stage("preprocess", 0.05);
  stage("inference", inference);
  stage("box_decode", 0.02);
  stage("nms", 0.03);
  stage("output", output);
  a.frames_measured = 100;
  a.latency.median = read + inference + 0.1 + output;
  return a;
}

// The H200's vtest run: CPU decoding read ahead by the CLI's prefetch, the loop waiting for it.
RunFacts gpu_run() {
  RunFacts r;
  r.device = "0";
  r.decoder = "cpu";
  r.video_source = true;
  r.gpu_codec = true;
  r.read_ahead = true;
  return r;
}

bool fired(const ProfileAnalysis& a, const RunFacts& r) {
  for (const Finding& f : advise(a, InputStats{}, r))
    if (f.id == "pipeline.decode_bound") return true;
  return false;
}

TEST(DecodeBound, AdviseFiresWhenTheLoopWaitsForAReaderAhead) {
  // Waiting 0.5 ms of a 0.98 ms cycle: the reader decoded throughout; detection 0.46 ms (47%).
  const ProfileAnalysis a = profile(0.5, 0.36);
  const DecodeFacts d = decode_facts(a, gpu_run());
  EXPECT_EQ(d.frames, 100);
  EXPECT_NEAR(d.wall_ms, 98.0, 1e-9);
  EXPECT_NEAR(d.decode_ms, d.wall_ms, 1e-9);
  EXPECT_NEAR(d.detect_busy_ms, 46.0, 1e-9);
  EXPECT_TRUE(fired(a, gpu_run()));
}

TEST(DecodeBound, AdviseReadsAnInlineReadAsTheDecodingItself) {
  RunFacts inline_read = gpu_run();
  inline_read.read_ahead = false;
  EXPECT_FALSE(fired(profile(0.5, 0.36), inline_read)) << "decoding 51% of the cycle";
  EXPECT_TRUE(fired(profile(2.5, 0.36), inline_read)) << "decoding 85% of the cycle";
  EXPECT_NEAR(decode_facts(profile(2.5, 0.36), inline_read).decode_ms, 250.0, 1e-9);
}

TEST(DecodeBound, AdviseStaysQuietWhereTheRuleDoesNotApply) {
  const ProfileAnalysis bound = profile(0.5, 0.36);
  RunFacts r = gpu_run();
  r.device = "cpu";
  EXPECT_FALSE(fired(bound, r)) << "the model on the CPU";
  r = gpu_run();
  r.decoder = "nvdec";
  EXPECT_FALSE(fired(bound, r)) << "already decoding on the GPU";
  r = gpu_run();
  r.gpu_codec = false;
  EXPECT_FALSE(fired(bound, r)) << "DivX 3: NVDEC cannot take it";
  // A reader ahead that the loop hardly waits for (under kDecodeWaitPct of the cycle) keeps up.
  EXPECT_FALSE(fired(profile(0.02, 0.36), gpu_run()));
  // A model slow enough that detection fills the cycle.
  EXPECT_FALSE(fired(profile(0.5, 2.0), gpu_run()));
  EXPECT_FALSE(fired(ProfileAnalysis{}, gpu_run())) << "no frames measured";
}

TEST(DecodeStage, NvdecRunsNameTheReadStageDecode) {
  ProfileAnalysis a = profile(0.3, 0.36);
  name_gpu_decode_stage(a);
  EXPECT_EQ(a.stages.front().name, "decode");
  EXPECT_NE(a.stages.front().how.find("NVDEC"), std::string::npos) << a.stages.front().how;
  for (size_t i = 1; i < a.stages.size(); ++i) EXPECT_NE(a.stages[i].name, "decode");
  // Its time is the GPU decoder's: decode_facts does not count it as CPU decoding.
  RunFacts r = gpu_run();
  r.decoder = "nvdec";
  EXPECT_EQ(decode_facts(a, r).decode_ms, 0);
}

TEST(DecodeStage, NvdecRunsNameTheReadSpansDecodeInTheTrace) {
  nlohmann::json trace = {{"traceEvents",
                           {{{"name", "read"}, {"cat", "stage"}},
                            {{"name", "inference"}, {"cat", "stage"}},
                            {{"name", "read"}, {"cat", "counter"}},
                            {{"name", "process_name"}, {"ph", "M"}}}}};
  name_gpu_decode_spans(trace);
  EXPECT_EQ(trace["traceEvents"][0]["name"], "decode");
  EXPECT_EQ(trace["traceEvents"][1]["name"], "inference");
  EXPECT_EQ(trace["traceEvents"][2]["name"], "read") << "only the stage lane's spans";
  EXPECT_EQ(trace["traceEvents"][3]["name"], "process_name");
  nlohmann::json empty = nlohmann::json::object();
  name_gpu_decode_spans(empty);
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace ys
