// A long run's flight records on a GPU, end to end without a GPU: frames go through the long
// recorder with synthetic CUPTI records in the ring (a kernel per YOLOv8n layer, and at the
// spike a 1 GiB device-to-host copy into pageable memory with the host waiting for it), the
// record is filled as the long run's tick fills it, and long_json writes summary.json's
// `long.flight[].frames[].gpu` in the shape docs/PROFILE_SCHEMA.md gives. In headless Chromium a
// click on the spike opens that frame in the timeline with its kernels, copies and waits.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "browser.h"
#include "profile_fixture.h"
#include "profiler/gpu_record_ring.h"
#include "profiler/long_recorder.h"
#include "report/html_report.h"
#include "report/long_report.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace ys {
namespace {

constexpr int64_t kMs = 1000000;
constexpr int64_t kCuptiOffset = int64_t{1} << 58;

struct RecordedRun {
  std::vector<LayerResult> layers = testing::yolov8n_layer_results();
  LongSnapshot snap;
  int64_t spike = 0;
};

// 6 s of 10 ms frames (3 ms of preprocessing, 7 of inference), one 50 ms stall at frame 601;
// CUPTI traces frames up to 603 and none after. Each traced frame launches one kernel per layer
// in its inference stage; the stalled one also pulls 1 GiB to pageable memory while the host
// waits for its stream.
RecordedRun record_run() {
  RecordedRun run;
  size_t ops = 0;
  for (const LayerResult& l : run.layers) ops += l.steps.size();
  LongRecorderOptions o;
  o.untraced_every = 0;
  LongRecorder r(ops, o);
  GpuRecordRing ring;
  ring.calibrate({r.start_ns(), static_cast<uint64_t>(r.start_ns() + kCuptiOffset)}, true);
  auto cupti = [](int64_t host) { return host + kCuptiOffset; };
  run.spike = 601;
  int64_t t = r.start_ns();
  for (int64_t frame = 0; frame < 620; ++frame) {
    const bool stall = frame == run.spike;
    std::array<int64_t, kPipelineStageCount> b{}, e{};
    const auto pre = static_cast<size_t>(PipelineStage::kPreprocess);
    const auto inf = static_cast<size_t>(PipelineStage::kInference);
    b[pre] = t;
    e[pre] = b[inf] = t + 3 * kMs;
    e[inf] = b[inf] + (stall ? 47 : 7) * kMs;
    r.begin_frame(frame);
    if (frame <= run.spike + 2) {
      r.set_gpu_traced();
      int64_t at = b[inf] + 100000;
      for (const LayerResult& l : run.layers) {
        ring.add_kernel(l.type == "Conv" ? "_Z11conv_kernelPKfPf" : "silu_kernel", cupti(at),
                        cupti(at + 150000), static_cast<int>(l.steps.front()), 0);
        at += 200000;
      }
      if (stall) {
        GpuCopyRecord c;
        c.kind = GpuCopyKind::kDeviceToHost;
        c.src = GpuMemoryKind::kDevice;
        c.dst = GpuMemoryKind::kPageable;
        c.bytes = int64_t{1} << 30;
        c.start_ns = cupti(at);
        c.end_ns = cupti(at + 40 * kMs);
        ring.add_copy(c, 1);
        ring.add_wait("stream", cupti(at), cupti(at + 40 * kMs + 200000));
      }
    }
    r.end_frame_at(b, e);
    t = e[inf];
  }
  r.finish();
  ring.calibrate({t, static_cast<uint64_t>(t + kCuptiOffset)}, true);
  for (const FlightToFill& f : r.flights_to_fill())
    r.fill_flight(f.occurrence, ring.pull(f.frames));
  run.snap = r.snapshot();
  return run;
}

const json* frame_of(const json& flight, int64_t frame) {
  for (const json& f : flight["frames"])
    if (f["frame"] == frame) return &f;
  return nullptr;
}

TEST(LongFlightGpu, SummaryHoldsEachTracedFramesKernelsCopiesAndWaits) {
  const RecordedRun run = record_run();
  const json j = long_json(run.snap, run.layers, LongRunFacts{});
  ASSERT_EQ(j["flight"].size(), 1u) << j["flight"].dump().substr(0, 2000);
  const json& rec = j["flight"][0];
  const json* spike = frame_of(rec, run.spike);
  ASSERT_TRUE(spike);
  const json& g = (*spike)["gpu"];
  ASSERT_TRUE(g.is_object()) << spike->dump();
  ASSERT_EQ(g["kernels"].size(), run.layers.size());
  std::set<std::string> names, layers;
  double last = -1;
  for (const json& k : g["kernels"]) {
    // The name indexes the record's table of names.
    names.insert(rec["kernel_names"].at(k["name"].get<size_t>()).get<std::string>());
    ASSERT_TRUE(k["layer"].is_string()) << k.dump();
    layers.insert(k["layer"].get<std::string>());
    EXPECT_GE(k["start_ms"].get<double>(), 3.0) << "inside the inference stage";
    EXPECT_NEAR(k["ms"].get<double>(), 0.15, 1e-3);
    EXPECT_GT(k["start_ms"].get<double>(), last) << "by start";
    last = k["start_ms"].get<double>();
  }
  EXPECT_EQ(layers.size(), run.layers.size()) << "each kernel names its layer";
  EXPECT_EQ(g["kernels"][0]["layer"], run.layers[0].id);
  EXPECT_TRUE(names.count("conv_kernel(float const*, float*)")) << "demangled";
  ASSERT_EQ(g["copies"].size(), 1u);
  EXPECT_EQ(g["copies"][0]["direction"], "DtoH");
  EXPECT_EQ(g["copies"][0]["memory"], "pageable");
  EXPECT_EQ(g["copies"][0]["bytes"], int64_t{1} << 30);
  EXPECT_NEAR(g["copies"][0]["ms"].get<double>(), 40.0, 1e-3);
  ASSERT_EQ(g["waits"].size(), 1u);
  EXPECT_EQ(g["waits"][0]["kind"], "stream");
  EXPECT_EQ(g["dropped"]["kernels"], 0);
  // The frame before has its kernels but no copy; the frames CUPTI did not trace have none.
  const json* before = frame_of(rec, run.spike - 1);
  ASSERT_TRUE(before && (*before)["gpu"].is_object());
  EXPECT_EQ((*before)["gpu"]["kernels"].size(), run.layers.size());
  EXPECT_TRUE((*before)["gpu"]["copies"].empty());
  const json* after = frame_of(rec, run.spike + 3);
  ASSERT_TRUE(after);
  EXPECT_TRUE((*after)["gpu"].is_null()) << after->dump();
}

TEST(LongFlightGpuBrowser, AClickedSpikeShowsItsKernelsInTheTimeline) {
  REQUIRE_CHROMIUM();
  const fs::path dir = testing::out_dir("long_flight_gpu");
  const RecordedRun run = record_run();
  const testing::ProfileFixture fx = testing::yolov8n_profile(6);
  json summary = fx.summary;
  summary["long"] = long_json(run.snap, run.layers, LongRunFacts{});
  const SpikeOccurrence& o = run.snap.occurrences.at(0);
  const double t_s = static_cast<double>(o.begin_ns - run.snap.start_ns) / 1e9;
  summary["spikes"] = {
      {"count", 1},
      {"periodic", false},
      {"period_s", nullptr},
      {"period_frames", nullptr},
      {"confidence", 0},
      {"text", "not periodic (one occurrence)"},
      {"culprit", nullptr},
      {"dropped", 0},
      {"occurrences",
       json::array({{{"t_s", t_s},
                     {"frame", o.frame},
                     {"frames", o.frames},
                     {"duration_ms", o.excess_ms},
                     {"stage", "inference"},
                     {"layer", nullptr},
                     {"in_period", false},
                     {"flight", 0},
                     {"blame", json::array({{{"kind", "own_gpu"},
                                             {"score", 0.9},
                                             {"evidence", "a 1 GiB DtoH copy to pageable"}}})}}})}};
  write_html_report((dir / "report.html").string(), summary, fx.trace);
  const json v = testing::selftest(dir, dir / "report.html");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.value("ok", false)) << v.dump(2).substr(0, 4000);
  const json& click = v["longrun"]["click"];
  ASSERT_TRUE(click.is_object()) << v["longrun"].dump();
  EXPECT_EQ(click["frame"], run.spike);
  EXPECT_EQ(click["timeline_frame"], click["frame"]) << click.dump();
  // No host layer spans: a replayed graph runs no op hooks; the kernels carry the layers.
  EXPECT_EQ(click["timeline_kinds"], json({"copy", "kernel", "stage", "sync"})) << click.dump();
  EXPECT_GT(click.value("timeline_spans", 0), static_cast<int>(run.layers.size())) << click.dump();
  EXPECT_EQ(click["timeline_kernel_names"],
            json({"conv_kernel(float const*, float*)", "silu_kernel"}))
      << "names looked up in the record's kernel_names: " << click.dump();
}

}  // namespace
}  // namespace ys
