// The `yolo` binary end to end: exit codes, messages, outputs and profile reports, run as a user
// would run it, in a scratch folder.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "test_data.h"

namespace ys {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr together
};

class YoloCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("ys_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result yolo(const std::string& args, const std::string& env = "") {
    std::string cmd =
        "cd '" + dir_.string() + "' && " + env + " '" YS_YOLO_BINARY "' " + args + " 2>&1";
    Result r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  fs::path dir_;
};

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

TEST_F(YoloCommand, DefaultRunNeedsNoFilesAndSaysWeightsAreSynthetic) {
  Result r = yolo("detect predict frames=3 threads=1");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "SYNTHETIC")) << r.output;
  EXPECT_TRUE(contains(r.output, "Speed:")) << r.output;
  EXPECT_TRUE(contains(r.output, "per image at shape (1, 3, 640, 640)")) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "runs/detect/predict")) << r.output;
}

TEST_F(YoloCommand, UnknownKeyIsAnErrorWithASuggestion) {
  Result r = yolo("detect predict cnf=0.5");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.output, "'cnf'")) << r.output;
  EXPECT_TRUE(contains(r.output, "conf=0.25")) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "runs")) << "nothing may run half-configured";
}

TEST_F(YoloCommand, BadValueIsAnErrorNamingKeyAndValue) {
  Result r = yolo("detect predict conf=abc");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.output, "conf")) << r.output;
  EXPECT_TRUE(contains(r.output, "abc")) << r.output;
}

TEST_F(YoloCommand, MissingSourceNamesIt) {
  Result r = yolo("detect predict source=does_not_exist.jpg threads=1");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "does_not_exist.jpg")) << r.output;
}

TEST_F(YoloCommand, MissingModelNamesIt) {
  Result r = yolo("detect predict model=nope.onnx");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "nope.onnx")) << r.output;
}

TEST_F(YoloCommand, CorruptImageIsSkippedAndTheRunGoesOn) {
  YS_REQUIRE_TESTDATA("data/images/messi5.jpg");
  fs::create_directories(dir_ / "imgs");
  fs::copy_file(testing::testdata("data/images/messi5.jpg"), dir_ / "imgs/good.jpg");
  std::ofstream(dir_ / "imgs/broken.jpg") << "\xff\xd8\xff\xe0 definitely not a JPEG";
  Result r = yolo("detect predict source=imgs save_txt=True threads=1");
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "broken.jpg")) << r.output;
  EXPECT_TRUE(contains(r.output, "good.jpg")) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "runs/detect/predict/labels")) << r.output;
}

TEST_F(YoloCommand, UnwritableOutputFolderIsAnError) {
  std::ofstream(dir_ / "file") << "x";
  Result r = yolo("detect predict frames=2 project=file/sub threads=1");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "file/sub")) << r.output;
}

TEST_F(YoloCommand, ExportWritesAModelThatLoadsBack) {
  Result r = yolo("export model=yolov8n.yaml format=onnx imgsz=320");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(fs::exists(dir_ / "yolov8n.onnx"));
  Result info = yolo("info model=yolov8n.onnx");
  EXPECT_EQ(info.code, 0) << info.output;
  EXPECT_TRUE(contains(info.output, "yolov8")) << info.output;
  EXPECT_TRUE(contains(info.output, "[1, 84, 2100]")) << info.output;
  EXPECT_TRUE(contains(info.output, "backbone")) << info.output;
}

// Lanes hold properly nested spans: a span starting inside another ends inside it too.
void expect_nested(const json& events) {
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> lanes;
  for (const auto& e : events) {
    if (e["ph"] != "X") continue;
    ASSERT_TRUE(e.contains("name") && e.contains("ts") && e.contains("dur") && e.contains("tid"))
        << e.dump();
    ASSERT_GE(e["dur"].get<double>(), 0) << e.dump();
    lanes[{e["pid"].get<int>(), e["tid"].get<int>()}].emplace_back(
        e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>());
  }
  EXPECT_GE(lanes.size(), 3u);
  for (auto& [lane, spans] : lanes) {
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) {
      // On one lane spans follow each other (the ops of a frame are sequential).
      EXPECT_LE(spans[i - 1].second, spans[i].first + 1e-3) << "overlap on lane " << lane.second;
    }
  }
}

TEST_F(YoloCommand, ProfileWritesAllReportsWithTheDocumentedSchema) {
  Result r =
      yolo("detect predict frames=10 profile=True profile_schedule=1,1,8 save=False threads=1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "Profiler overhead")) << r.output;
  const fs::path p = dir_ / "runs/detect/predict/profile";
  for (const char* f : {"summary.json", "trace.json", "layers.csv", "report.html"}) {
    EXPECT_TRUE(fs::exists(p / f)) << f;
  }
  json s = json::parse(std::ifstream(p / "summary.json"));
  // Every field of docs/PROFILE_SCHEMA.md's table.
  for (const char* k : {"schema", "schema_version", "generated_at", "tool", "model", "run",
                        "stages", "model_stages", "layers", "ops", "top_layers", "memory", "cpu",
                        "frames", "overhead_pct", "overhead", "environment", "gpu", "advice"}) {
    EXPECT_TRUE(s.contains(k)) << k;
  }
  EXPECT_EQ(s["schema_version"], 2);
  EXPECT_TRUE(s["startup"].is_object()) << "a yolo run times its start-up";
  EXPECT_TRUE(s["gpu"].is_null()) << "a CPU run has no GPU figures";
  EXPECT_TRUE(s["model"]["synthetic_weights"].get<bool>());
  EXPECT_EQ(s["run"]["frames_measured"], 8);
  double share = 0;
  for (const auto& st : s["stages"]) share += st["share_pct"].get<double>();
  EXPECT_NEAR(share, 100.0, 0.1);
  std::vector<std::string> names;
  for (const auto& st : s["stages"]) names.push_back(st["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"read", "preprocess", "inference", "box_decode", "nms",
                                             "output"}));
  double layer_share = 0;
  for (const auto& l : s["layers"]) {
    EXPECT_NE(l["stage"], "unknown") << l["label"];
    layer_share += l["share_pct"].get<double>();
  }
  // Shares are of the inference median the layers were timed in: the executor's own time
  // between ops is the rest (issue 14).
  const double basis = s["shares"]["inference_ms"];
  EXPECT_NEAR(layer_share, 100.0 * s["shares"]["layer_sum_ms"].get<double>() / basis, 0.2);
  // A sum of per-layer medians is not the median of the per-frame sums: on a loaded machine it
  // passed the inference median by 1.2% (fresh-root check, 2026-12-05), so only a gross excess
  // fails.
  EXPECT_LE(layer_share, 105.0);
  EXPECT_EQ(s["layers"].size(), 23u) << "YOLOv8 has 23 modules";
  EXPECT_TRUE(s["overhead_pct"].is_number());
  EXPECT_GT(s["memory"]["arena_peak_bytes"].get<int64_t>(), 0);
  EXPECT_LT(s["memory"]["arena_peak_bytes"].get<int64_t>(),
            s["memory"]["naive_bytes"].get<int64_t>());
  json t = json::parse(std::ifstream(p / "trace.json"));
  ASSERT_TRUE(t["traceEvents"].is_array());
  expect_nested(t["traceEvents"]);
}

TEST_F(YoloCommand, EnvironmentSwitchWinsOverTheArgument) {
  Result r =
      yolo("detect predict frames=3 profile=True save=False threads=1", "PROFILING_ENABLED=false");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "runs/detect/predict/profile")) << r.output;
}

// The advisor's findings of a profiled run, read from its summary.json.
json advice_of(const fs::path& run) {
  return json::parse(std::ifstream(run / "profile/summary.json"))["advice"];
}

bool has_finding(const json& advice, const std::string& id) {
  for (const auto& f : advice) {
    if (f["id"] == id) return true;
  }
  return false;
}

// Warnings the run's input or model should not raise. The rules driven by measured time alone
// (contended cores, spikes, decoding that falls behind inference) are left out: on a loaded CI
// machine they can be true of the machine, and the advisor tests check them on fixed figures.
std::string false_alarms(const json& advice) {
  std::string s;
  for (const auto& f : advice) {
    const std::string id = f["id"];
    if (f["severity"] != "info" && id != "threads.contended" && id != "latency.spikes" &&
        id != "pipeline.input_bound")
      s += id + " ";
  }
  return s;
}

TEST_F(YoloCommand, BlackVideoWarnsThatTheInputIsUnrepresentative) {
  Result r = yolo(
      "detect predict source=- raw_size=64x48 imgsz=160 profile=True profile_schedule=1,1,10 "
      "save=False",
      "head -c " + std::to_string(64 * 48 * 3 * 12) + " /dev/zero |");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "input.blank")) << r.output;
  const fs::path run = dir_ / "runs/detect/predict";
  EXPECT_TRUE(has_finding(advice_of(run), "input.blank"));
  json input = json::parse(std::ifstream(run / "profile/summary.json"))["input"];
  EXPECT_EQ(input["frames"], 10);
  EXPECT_EQ(input["contrast"]["median"], 0);
  EXPECT_EQ(input["change"]["median"], 0);
}

TEST_F(YoloCommand, NoiseImageWarnsThatTheInputIsUnrepresentative) {
  YS_REQUIRE_TESTDATA("data/images/noise.jpg");
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  Result r = yolo("detect predict model=" + ys::testing::testdata("models/yolov8n-coco.onnx") +
                  " source=" + ys::testing::testdata("data/images/noise.jpg") +
                  " profile=True save=False");
  ASSERT_EQ(r.code, 0) << r.output;
  const json advice = advice_of(dir_ / "runs/detect/predict");
  EXPECT_TRUE(has_finding(advice, "input.noise")) << advice.dump(1);
  EXPECT_EQ(advice[0]["id"].get<std::string>().rfind("input.", 0), 0u)
      << "input findings come first";
}

TEST_F(YoloCommand, RealVideoGivesNoInputWarnings) {
  YS_REQUIRE_TESTDATA("data/video/vtest.avi");
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  Result r = yolo("detect predict model=" + ys::testing::testdata("models/yolov8n-coco.onnx") +
                  " source=" + ys::testing::testdata("data/video/vtest.avi") +
                  " vid_stride=20 profile=True profile_schedule=2,3,35 save=False");
  ASSERT_EQ(r.code, 0) << r.output;
  const fs::path run = dir_ / "runs/detect/predict";
  EXPECT_EQ(false_alarms(advice_of(run)), "") << r.output;
  json input = json::parse(std::ifstream(run / "profile/summary.json"))["input"];
  EXPECT_EQ(input["frames"], 35);
  EXPECT_GT(input["detections_per_frame"]["median"].get<double>(), 0);
  EXPECT_TRUE(input["detections_meaningful"].get<bool>());
}

TEST_F(YoloCommand, DefaultSyntheticRunHasNoWarnings) {
  // The default model and source; a shorter window keeps the test fast under ASan.
  Result r = yolo("detect predict profile=True profile_schedule=2,3,24 save=False");
  ASSERT_EQ(r.code, 0) << r.output;
  const json advice = advice_of(dir_ / "runs/detect/predict");
  EXPECT_EQ(false_alarms(advice), "") << r.output;
  EXPECT_FALSE(has_finding(advice, "input.no_detections"))
      << "synthetic weights detect nothing by design";
  EXPECT_TRUE(has_finding(advice, "input.synthetic_weights"));
}

TEST_F(YoloCommand, WhatIfMeasuresTheThreadsAdvice) {
  Result r = yolo(
      "detect predict frames=8 imgsz=160 threads=1 profile=True profile_schedule=1,1,6 "
      "profile_whatif=True save=False");
  ASSERT_EQ(r.code, 0) << r.output;
  const json advice = advice_of(dir_ / "runs/detect/predict");
  bool seen = false;
  for (const auto& f : advice) {
    if (f["id"] != "threads.underused") continue;
    seen = true;
    EXPECT_TRUE(f["measured_gain_pct"].is_number()) << f.dump(1);
    EXPECT_TRUE(contains(f["expected_gain"], "measured")) << f.dump(1);
  }
  if (!seen) GTEST_SKIP() << "one core: threads=1 is all of them";
}

}  // namespace
}  // namespace ys
