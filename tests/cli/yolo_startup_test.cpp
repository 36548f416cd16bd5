// Start-up phases (issue 19.3) of a real `yolo` run on the CPU: summary.json's "startup" names
// every phase from the process's start to the first result, none negative, the top-level ones in
// order without overlap, and they add up to the wall time to the first result within the stated
// tolerance; the console line comes with verbose or profile, and after a benchmark's table.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "yolo_runner.h"

namespace ys::testing {
namespace {

using nlohmann::json;

// What no phase covers may be at most this: the few statements between phases, and a preemption
// on a busy machine.
double tolerance_ms(double wall_ms) {
  return 5.0 + 0.05 * wall_ms;
}

std::vector<std::string> names(const json& phases) {
  std::vector<std::string> out;
  for (const json& p : phases) out.push_back(p["name"].get<std::string>());
  return out;
}

const json* child(const json& phase, const std::string& name) {
  for (const json& c : phase["children"])
    if (c["name"] == name) return &c;
  return nullptr;
}

// Every phase and child: a time that is not negative, children within their parent.
void expect_sane(const json& p) {
  SCOPED_TRACE(p["name"].get<std::string>());
  EXPECT_GE(p["ms"].get<double>(), 0.0);
  EXPECT_GE(p["start_ms"].get<double>(), 0.0);
  EXPECT_GE(p["count"].get<int>(), 1);
  double children = 0;
  for (const json& c : p["children"]) {
    expect_sane(c);
    children += c["ms"].get<double>();
  }
  // Each figure is rounded to a microsecond.
  EXPECT_LE(children, p["ms"].get<double>() + 0.001 * (1 + p["children"].size()));
}

class YoloStartup : public YoloRunner {};

TEST_F(YoloStartup, AProfiledCpuRunRecordsEveryPhaseAndTheyAddUpToTheWall) {
  const auto t0 = std::chrono::steady_clock::now();
  const YoloResult r = yolo(
      "detect predict model=yolov8n.yaml imgsz=64 source=synthetic frames=1 threads=1 "
      "save=False profile=True project=. name=run");
  const double process_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(dir_ / "run" / "profile" / "summary.json");
  ASSERT_TRUE(in) << r.output;
  const json s = json::parse(in)["startup"];
  ASSERT_TRUE(s.is_object()) << s;

  EXPECT_EQ(s["origin"], "process_start");
  const std::vector<std::string> top = names(s["phases"]);
  const std::vector<std::string> want = {
      "exec",       "args", "load", "source_open", "warm_up", "more_detectors", "profiler_attach",
      "first_frame"};
  EXPECT_EQ(top, want) << s.dump(1);
  EXPECT_TRUE(s["background"].empty()) << "a CPU backend is made on the calling thread";

  const json& load = s["phases"][2];
  for (const char* name : {"model_read", "graph_prepare", "backend_create", "backend_prepare",
                           "arena", "kernels", "kernels_finish"})
    EXPECT_NE(child(load, name), nullptr) << name << " missing in " << load.dump(1);
  const json& first = s["phases"][7];
  for (const char* name : {"read", "preprocess", "inference", "box_decode", "nms", "output"})
    EXPECT_NE(child(first, name), nullptr) << name << " missing in " << first.dump(1);
  EXPECT_NE(child(s["phases"][4], "inference"), nullptr) << "the warm-up's stages";

  double sum = 0, end = 0;
  for (const json& p : s["phases"]) {
    expect_sane(p);
    const double start = p["start_ms"].get<double>();
    EXPECT_GE(start + 0.001, end) << p["name"] << " overlaps the phase before it";
    end = start + p["ms"].get<double>();
    sum += p["ms"].get<double>();
  }
  const double wall = s["wall_ms"].get<double>();
  EXPECT_NEAR(s["phases_ms"].get<double>(), sum, 0.01 * top.size());
  EXPECT_NEAR(s["unattributed_ms"].get<double>(), wall - s["phases_ms"].get<double>(), 0.01);
  EXPECT_LE(end, wall + 0.001) << "the first frame ends at the first result";
  EXPECT_GE(s["unattributed_ms"].get<double>(), -0.01);
  EXPECT_LE(s["unattributed_ms"].get<double>(), tolerance_ms(wall)) << s.dump(1);
  // The process's start is read to a 10 ms clock tick, rounded down.
  EXPECT_LE(wall, process_ms + 10.0) << "start-up longer than the whole process";
  EXPECT_TRUE(r.has("Start-up: ")) << r.output;
}

TEST_F(YoloStartup, TheConsoleLineComesWithVerboseAndNotWithout) {
  const std::string run =
      "detect predict model=yolov8n.yaml imgsz=64 source=synthetic frames=1 threads=1 save=False ";
  const YoloResult loud = yolo(run + "verbose=True");
  ASSERT_EQ(loud.code, 0) << loud.output;
  EXPECT_TRUE(loud.has("Start-up: ")) << loud.output;
  EXPECT_TRUE(loud.has("ms from process start to the first result: exec ")) << loud.output;
  EXPECT_TRUE(loud.has("; unattributed ")) << loud.output;
  const YoloResult quiet = yolo(run + "verbose=False");
  ASSERT_EQ(quiet.code, 0) << quiet.output;
  EXPECT_FALSE(quiet.has("Start-up: ")) << quiet.output;
}

TEST_F(YoloStartup, ABenchmarkSaysItsStartUpToItsFirstFrame) {
  const YoloResult r = yolo("benchmark model=yolov8n.yaml imgsz=64 frames=2 threads=1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(r.has("to the first result: exec ")) << r.output;
  EXPECT_TRUE(r.has(", benchmark_setup ")) << r.output;
  EXPECT_TRUE(r.has("(load ")) << r.output;
  EXPECT_TRUE(r.has(", first_frame ")) << r.output;
}

}  // namespace
}  // namespace ys::testing
