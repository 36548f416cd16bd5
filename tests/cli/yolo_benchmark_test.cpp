// yolo benchmark and yolo compare on the binary: the benchmark file, the exit codes, the planted
// regressions (test hooks) caught and located, a mismatched fingerprint, JUnit and A/B runs.
// Few small frames keep it fast; the planted slowdowns are 20% of each frame's own time, so they
// do not depend on how fast the machine is.
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "yolo_runner.h"

namespace ys::testing {
namespace {

constexpr const char* kRun = "benchmark imgsz=160 threads=1 frames=24 ";
const std::set<std::string> kStages = {"read",       "preprocess", "inference",
                                       "box_decode", "nms",        "frame"};

class YoloBenchmark : public YoloRunner {
 protected:
  nlohmann::json read_json(const std::string& name) {
    std::ifstream in(dir_ / name);
    return nlohmann::json::parse(in);
  }
  // The verdicts of `format=json` output, by name.
  std::map<std::string, std::string> verdicts(const YoloResult& r) {
    std::map<std::string, std::string> out;
    const nlohmann::json j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
    for (const auto& m : j["metrics"]) out[m["name"]] = m["verdict"];
    return out;
  }
};

TEST_F(YoloBenchmark, WritesTheFileAndTheTable) {
  const YoloResult r = yolo(std::string(kRun) + "out=base.json");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* s : {"median ms", "p90 ms", "p99 ms", "fps", "preprocess", "inference",
                        "Calibration: ", "Saved base.json"})
    EXPECT_TRUE(r.has(s)) << s << "\n" << r.output;
  const nlohmann::json j = read_json("base.json");
  EXPECT_EQ(j["schema"], "yoloscope-benchmark");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["frames"], 24);
  EXPECT_EQ(j["workload"]["imgsz"], "160x160");
  EXPECT_EQ(j["workload"]["threads_used"], "1");
  EXPECT_FALSE(j["machine"]["cpu_model"].get<std::string>().empty());
  EXPECT_FALSE(j["calibration"]["ms"].empty());
  std::set<std::string> stages;
  for (const auto& s : j["stages"]) {
    stages.insert(s["name"]);
    EXPECT_EQ(s["ms"].size(), 24u) << s["name"];
  }
  for (const char* s : {"read", "preprocess", "inference", "box_decode", "nms", "frame"})
    EXPECT_TRUE(stages.count(s)) << s;
  ASSERT_EQ(j["layers"].size(), 23u);  // YOLOv8n's modules 0-22
  EXPECT_EQ(j["layers"][2]["name"], "C2f #2");
  EXPECT_EQ(j["layers"][2]["ms"].size(), 12u);  // the frames whose ops were traced
}

TEST_F(YoloBenchmark, ExitCodesForBadArguments) {
  EXPECT_EQ(yolo("compare").code, 2);
  EXPECT_EQ(yolo("compare baseline=a.json").code, 2);
  EXPECT_EQ(yolo("compare baseline=a.json current=b.json a=threads=1 b=threads=2").code, 2);
  const YoloResult missing = yolo("compare baseline=nothere.json current=b.json");
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(missing.has("nothere.json: cannot read the benchmark file")) << missing.output;
  std::ofstream(dir_ / "bad.json") << "{\"schema\": \"yoloscope-benchmark\", \"version\": 1}";
  const YoloResult bad = yolo("compare baseline=bad.json current=bad.json");
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(bad.has("bad.json: created is missing")) << bad.output;
  EXPECT_EQ(yolo("compare baseline=bad.json current=bad.json format=onnx").code, 2);
  EXPECT_EQ(yolo("compare baseline=a.json current=b.json threshold=2").code, 2);
  EXPECT_EQ(yolo("compare baseline=a.json current=b.json level=op").code, 2);
  EXPECT_EQ(yolo("compare a='nokey' b=threads=1").code, 2);
  const YoloResult hook = yolo(std::string(kRun), "YOLOSCOPE_TEST_SLOW_LAYER='C9f #99:0.2'");
  EXPECT_EQ(hook.code, 2);
  EXPECT_TRUE(hook.has("no layer 'C9f #99'")) << hook.output;
  EXPECT_EQ(yolo("export format=junit").code, 2);
}

// The planted slowdowns run as A/B in one process, the hook on side b only: both sides share the
// machine's state, so the test holds on a loaded machine too.
constexpr const char* kAB = "compare a=threads=1 b=threads=1 imgsz=160 frames=40 format=json ";

TEST_F(YoloBenchmark, SlowerPreprocessIsARegressionOfPreprocess) {
  const YoloResult r = yolo(kAB, "YOLOSCOPE_TEST_HOOK_SIDE=b YOLOSCOPE_TEST_SLOW_PREPROCESS=0.2");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("Note (b): TEST HOOK: preprocess slowed by 0.2")) << r.output;
  EXPECT_FALSE(r.has("Note (a)")) << r.output;
  const auto v = verdicts(r);
  EXPECT_EQ(v.at("preprocess"), "regression") << r.output;
}

TEST_F(YoloBenchmark, SlowerLayerIsARegressionOfThatLayerOnly) {
  const YoloResult r = yolo(std::string(kAB) + "level=layer",
                            "YOLOSCOPE_TEST_HOOK_SIDE=b YOLOSCOPE_TEST_SLOW_LAYER='C2f #2:0.2'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(r.has("Note (b): TEST HOOK: layer C2f #2 slowed by 0.2")) << r.output;
  const auto v = verdicts(r);
  EXPECT_EQ(v.size(), 6u + 23u);
  for (const auto& [name, verdict] : v) {
    if (name == "C2f #2") {
      EXPECT_EQ(verdict, "regression") << r.output;
    } else if (!kStages.count(name)) {  // the test: no other layer
      EXPECT_NE(verdict, "regression") << name << "\n" << r.output;
    }
  }
}

// The same plant between two benchmark files: the hook's note is in the file, and the layer
// is the regression.
TEST_F(YoloBenchmark, SlowerLayerBetweenFiles) {
  ASSERT_EQ(yolo(std::string(kRun) + "out=base.json").code, 0);
  const YoloResult cur =
      yolo(std::string(kRun) + "out=cur.json", "YOLOSCOPE_TEST_SLOW_LAYER='C2f #2:0.5'");
  ASSERT_EQ(cur.code, 0) << cur.output;
  EXPECT_TRUE(cur.has("Note: TEST HOOK: layer C2f #2 slowed by 0.5")) << cur.output;
  const YoloResult r = yolo("compare baseline=base.json current=cur.json level=layer format=json");
  const nlohmann::json j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  bool found = false;
  for (const auto& m : j["metrics"]) {
    if (m["name"] != "C2f #2") continue;
    found = true;
    EXPECT_GT(m["change"].get<double>(), 0.25) << r.output;
  }
  EXPECT_TRUE(found) << r.output;
}

TEST_F(YoloBenchmark, MismatchedFingerprintWarnsAndScalesByCalibration) {
  ASSERT_EQ(yolo(std::string(kRun) + "out=base.json").code, 0);
  nlohmann::json j = read_json("base.json");
  j["machine"]["cpu_model"] = "Some Other CPU";
  std::ofstream(dir_ / "other.json") << j.dump();
  const YoloResult r = yolo("compare baseline=other.json current=base.json");
  EXPECT_TRUE(r.has("WARNING: the machines differ (cpu_model: Some Other CPU -> ")) << r.output;
  EXPECT_TRUE(r.has("baseline scaled by the calibration ratio 1.000")) << r.output;
  EXPECT_EQ(r.code, 0) << r.output;  // the same figures, scaled by 1
  j["calibration"]["method"] = "";
  std::ofstream(dir_ / "nocal.json") << j.dump();
  const YoloResult n = yolo("compare baseline=nocal.json current=base.json");
  EXPECT_TRUE(n.has("re-baseline on this machine")) << n.output;
}

TEST_F(YoloBenchmark, JunitAndMarkdownFiles) {
  ASSERT_EQ(yolo(std::string(kRun) + "out=base.json").code, 0);
  const YoloResult r = yolo("compare baseline=base.json current=base.json format=junit out=p.xml");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(r.has("Saved p.xml")) << r.output;
  std::ifstream in(dir_ / "p.xml");
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t cases = 0;
  for (size_t at = xml.find("<testcase "); at != std::string::npos;
       at = xml.find("<testcase ", at + 1))
    ++cases;
  EXPECT_EQ(cases, 6u) << xml;
  EXPECT_EQ(xml.find("<failure"), std::string::npos) << xml;
  const YoloResult md = yolo("compare baseline=base.json current=base.json format=markdown");
  EXPECT_EQ(md.code, 0);
  EXPECT_TRUE(md.has("### YoloScope performance: no regression")) << md.output;
}

TEST_F(YoloBenchmark, ABInOneProcessAndWithBinaries) {
  const YoloResult r = yolo("compare a=threads=1 b='threads=1 conf=0.3' imgsz=160 frames=8");
  EXPECT_TRUE(r.code == 0 || r.code == 1) << r.output;
  EXPECT_TRUE(r.has("A/B in one process, frames alternating ABBA")) << r.output;
  EXPECT_TRUE(r.has("stage  inference")) << r.output;
  const std::string bin = YS_YOLO_BINARY;
  const YoloResult p = yolo("compare a=" + bin +
                            " b=threads=1 imgsz=160 threads=1 frames=8 "
                            "format=json");
  EXPECT_TRUE(p.code == 0 || p.code == 1) << p.output;
  EXPECT_TRUE(p.has("chunk 8/8: side b")) << p.output;
  const auto v = verdicts(p);
  EXPECT_TRUE(v.count("inference")) << p.output;
}

}  // namespace
}  // namespace ys::testing
