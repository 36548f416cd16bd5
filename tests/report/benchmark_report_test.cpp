// The benchmark file's round trip and its errors, and yolo compare's outputs: JUnit XML that is
// well-formed with one test case per stage and failures that carry the figures, markdown with a
// row per stage, and JSON with the verdicts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.h"
#include "report/benchmark_file.h"
#include "report/benchmark_report.h"

namespace ys {
namespace {

std::vector<double> frames(double level, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 0.02);
  std::vector<double> v;
  for (int i = 0; i < 30; ++i) v.push_back(level * (1 + z(rng)));
  return v;
}

BenchmarkRecord record(uint64_t seed, double preprocess_ms) {
  BenchmarkRecord r;
  r.created = "2026-12-04T22:00:00Z";
  r.machine = {{"cpu_model", "Test CPU"}, {"cores", "2"}};
  r.workload = {{"model", "yolov8n.yaml"}};
  r.calibration_method = "oneDNN sgemm 320x320x320";
  r.calibration_ms = frames(1.5, seed);
  r.frames = 30;
  r.stages = {{"read", frames(0.05, seed + 1)},
              {"preprocess", frames(preprocess_ms, seed + 2)},
              {"inference", frames(20, seed + 3)},
              {"frame", frames(21 + preprocess_ms, seed + 4)}};
  r.layers = {{"Conv #0", frames(2, seed + 5)}, {"C2f <&> #2", frames(3, seed + 6)}};
  r.notes = {"a note"};
  return r;
}

// A minimal XML well-formedness check: every tag closes in order, attributes are quoted, and
// text holds no raw '<' or '&' outside entities.
bool well_formed(const std::string& xml, std::string* why) {
  std::vector<std::string> open;
  size_t i = xml.find("?>");
  if (xml.rfind("<?xml", 0) != 0 || i == std::string::npos) return *why = "no declaration", false;
  for (i += 2; i < xml.size(); ++i) {
    if (xml[i] == '&') {
      const size_t semi = xml.find(';', i);
      const std::string ent = xml.substr(i, semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;")
        return *why = "bad entity " + ent, false;
      continue;
    }
    if (xml[i] != '<') continue;
    size_t end = i + 1;
    char quote = 0;
    for (; end < xml.size(); ++end) {
      if (quote) {
        if (xml[end] == quote)
          quote = 0;
        else if (xml[end] == '<')
          return *why = "'<' inside an attribute", false;
      } else if (xml[end] == '"' || xml[end] == '\'') {
        quote = xml[end];
      } else if (xml[end] == '>') {
        break;
      }
    }
    if (end >= xml.size()) return *why = "unclosed tag", false;
    const std::string tag = xml.substr(i + 1, end - i - 1);
    const std::string name =
        tag.substr(tag[0] == '/', tag.find_first_of(" />", 1) - (tag[0] == '/'));
    if (tag[0] == '/') {
      if (open.empty() || open.back() != name) return *why = "mismatched </" + name + ">", false;
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(name);
    }
    i = end;
  }
  if (!open.empty()) return *why = "<" + open.back() + "> never closed", false;
  return true;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(BenchmarkFile, RoundTripKeepsEveryField) {
  const std::string path = ::testing::TempDir() + "/bench_roundtrip.json";
  const BenchmarkRecord a = record(1, 1.0);
  write_benchmark_file(path, a);
  const BenchmarkRecord b = read_benchmark_file(path);
  EXPECT_EQ(b.created, a.created);
  EXPECT_EQ(b.machine, a.machine);
  EXPECT_EQ(b.workload, a.workload);
  EXPECT_EQ(b.calibration_method, a.calibration_method);
  ASSERT_EQ(b.stages.size(), a.stages.size());
  EXPECT_EQ(b.stages[1].name, "preprocess");
  ASSERT_EQ(b.stages[1].ms.size(), 30u);
  EXPECT_NEAR(b.stages[1].ms[7], a.stages[1].ms[7], 1e-4);
  EXPECT_EQ(b.layers[1].name, "C2f <&> #2");
  EXPECT_EQ(b.notes, a.notes);
  std::filesystem::remove(path);
}

TEST(BenchmarkFile, BadFilesNameTheFileAndTheField) {
  const std::string path = ::testing::TempDir() + "/bench_bad.json";
  auto message_for = [&](const std::string& text) {
    std::ofstream(path) << text;
    try {
      read_benchmark_file(path);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_for("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(message_for("{\"schema\": \"x\"}").find("schema"), std::string::npos);
  nlohmann::json j = benchmark_to_json(record(1, 1.0));
  j["stages"][1].erase("ms");
  EXPECT_NE(message_for(j.dump()).find("stages[1].ms is missing"), std::string::npos);
  j = benchmark_to_json(record(1, 1.0));
  j["stages"][0]["ms"][3] = -1;
  EXPECT_NE(message_for(j.dump()).find("negative"), std::string::npos);
  j = benchmark_to_json(record(1, 1.0));
  j["version"] = 99;
  EXPECT_NE(message_for(j.dump()).find("version 99"), std::string::npos);
  const std::string missing = message_for("");
  std::filesystem::remove(path);
  EXPECT_NE(message_for("").find(path), std::string::npos);
  EXPECT_NE(missing.find(path), std::string::npos);
}

TEST(BenchmarkReport, ConsoleTableHasEveryStageWithFps) {
  const std::string t = benchmark_console_table(record(1, 1.0));
  for (const char* s : {"read", "preprocess", "inference", "frame", "median ms", "p90 ms", "p99 ms",
                        "fps", "Calibration: oneDNN sgemm"})
    EXPECT_NE(t.find(s), std::string::npos) << s;
}

TEST(BenchmarkReport, JunitIsWellFormedWithOneCasePerStageAndNumbersInFailures) {
  const ComparisonResult r =
      compare_benchmarks(record(1, 1.0), record(2, 1.2), 0.05, CompareLevel::kStage);
  ASSERT_TRUE(r.regression());
  const std::string xml = comparison_junit(r, "baseline=a.json current=b.json");
  std::string why;
  EXPECT_TRUE(well_formed(xml, &why)) << why << "\n" << xml;
  EXPECT_EQ(count(xml, "<testcase "), 4u);  // read, preprocess, inference, frame
  EXPECT_EQ(count(xml, "<testsuite "), 1u);
  EXPECT_NE(xml.find("name=\"preprocess\""), std::string::npos);
  const size_t failure = xml.find("<failure");
  ASSERT_NE(failure, std::string::npos);
  const std::string f = xml.substr(failure, xml.find("</failure>", failure) - failure);
  EXPECT_NE(f.find("stage preprocess"), std::string::npos) << f;
  EXPECT_NE(f.find("% (99% interval +"), std::string::npos) << f;  // change and interval
  EXPECT_NE(f.find(" ms -&gt; "), std::string::npos) << f;         // both medians
  EXPECT_NE(f.find("threshold 5.0%"), std::string::npos) << f;
  EXPECT_NE(xml.find("failures=\"" + std::to_string(r.regressions) + "\""), std::string::npos);
}

TEST(BenchmarkReport, JunitAtLayerLevelEscapesNames) {
  const ComparisonResult r =
      compare_benchmarks(record(1, 1.0), record(2, 1.0), 0.05, CompareLevel::kLayer);
  const std::string xml = comparison_junit(r, "a<b");
  std::string why;
  EXPECT_TRUE(well_formed(xml, &why)) << why;
  EXPECT_EQ(count(xml, "<testcase "), 6u);
  EXPECT_NE(xml.find("C2f &lt;&amp;&gt; #2"), std::string::npos);
  EXPECT_EQ(count(xml, "<failure"), 0u);
}

TEST(BenchmarkReport, MarkdownHasARowPerStageAndTheOutcome) {
  const ComparisonResult r =
      compare_benchmarks(record(1, 1.0), record(2, 1.2), 0.05, CompareLevel::kStage);
  const std::string md = comparison_markdown(r, "baseline=a.json current=b.json");
  EXPECT_EQ(md.rfind("### YoloScope performance: regression", 0), 0u) << md;
  EXPECT_NE(md.find("|---|"), std::string::npos);
  EXPECT_NE(md.find("| :red_circle: | stage `preprocess` |"), std::string::npos) << md;
  EXPECT_EQ(count(md, "| stage `"), 4u);
  EXPECT_NE(md.find("**REGRESSION: preprocess +"), std::string::npos) << md;
}

TEST(BenchmarkReport, MismatchedFingerprintIsShownInEveryFormat) {
  BenchmarkRecord cur = record(2, 1.0);
  cur.machine["cpu_model"] = "Other CPU";
  const ComparisonResult r = compare_benchmarks(record(1, 1.0), cur, 0.05, CompareLevel::kStage);
  const std::string title = "baseline=a.json current=b.json";
  EXPECT_NE(comparison_table(r, title).find("WARNING: the machines differ (cpu_model: Test CPU -> "
                                            "Other CPU)"),
            std::string::npos);
  EXPECT_NE(comparison_markdown(r, title).find("> **Warning:** the machines differ"),
            std::string::npos);
  EXPECT_NE(comparison_junit(r, title).find("name=\"warning\" value=\"the machines differ"),
            std::string::npos);
  EXPECT_EQ(comparison_json(r, title)["warnings"].size(), 1u);
  EXPECT_NE(comparison_table(r, title).find("calibration ratio"), std::string::npos);
}

TEST(BenchmarkReport, JsonCarriesVerdictsAndIntervals) {
  const ComparisonResult r =
      compare_benchmarks(record(1, 1.0), record(2, 1.2), 0.05, CompareLevel::kStage);
  const nlohmann::json j = comparison_json(r, "t");
  EXPECT_EQ(j["verdict"], "regression");
  ASSERT_EQ(j["metrics"].size(), 4u);
  const nlohmann::json& pre = j["metrics"][1];
  EXPECT_EQ(pre["name"], "preprocess");
  EXPECT_EQ(pre["verdict"], "regression");
  EXPECT_LE(pre["ci_low"].get<double>(), pre["change"].get<double>());
  EXPECT_GT(pre["ci_low"].get<double>(), 0.0);
}

}  // namespace
}  // namespace ys
