// The command line and the what-if runner build detector options through one mapping
// (pipeline/detector_options.h), so a setting the advisor proposes means to the what-if exactly
// what it means typed after `yolo predict`. The proposals are read from the advisor's rule
// sources, so a rule added with a setting the CLI spells differently fails here, not in a run.
#include "cli/detector_options.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/detector_options.h"
#include "test_data.h"

namespace ys {
namespace {

namespace fs = std::filesystem;

void expect_same(const DetectorOptions& a, const DetectorOptions& b, const std::string& what) {
  EXPECT_EQ(a.model, b.model) << what;
  EXPECT_EQ(a.imgsz_h, b.imgsz_h) << what;
  EXPECT_EQ(a.imgsz_w, b.imgsz_w) << what;
  EXPECT_EQ(a.batch, b.batch) << what;
  EXPECT_EQ(a.device, b.device) << what;
  EXPECT_EQ(a.threads, b.threads) << what;
  EXPECT_EQ(a.half, b.half) << what;
  EXPECT_EQ(a.cuda_graph, b.cuda_graph) << what;
  EXPECT_EQ(a.gpu_pipeline, b.gpu_pipeline) << what;
  EXPECT_EQ(a.cudnn_fusion, b.cudnn_fusion) << what;
  EXPECT_EQ(a.nms.conf, b.nms.conf) << what;
  EXPECT_EQ(a.nms.iou, b.nms.iou) << what;
  EXPECT_EQ(a.nms.max_det, b.nms.max_det) << what;
  EXPECT_EQ(a.nms.agnostic, b.nms.agnostic) << what;
  EXPECT_EQ(a.nms.classes, b.nms.classes) << what;
}

// Every `{"key", value}` in a `settings = {...}` or `baseline_settings = {...}` of the advisor's
// rules. A value computed in the rule (std::to_string of a thread count) stands as "2".
std::vector<std::pair<std::string, std::string>> proposed_settings() {
  std::vector<std::pair<std::string, std::string>> out;
  const fs::path dir = fs::path(testing::source_dir()) / "src" / "analysis";
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("advisor", 0) != 0 || entry.path().extension() != ".cpp") continue;
    std::ifstream f(entry.path());
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    for (size_t at = text.find("settings = {{"); at != std::string::npos;
         at = text.find("settings = {{", at + 1)) {
      const size_t end = text.find("}};", at);
      size_t p = at + std::string("settings = {").size();
      while (p < end) {
        const size_t k0 = text.find("{\"", p);
        if (k0 == std::string::npos || k0 >= end) break;
        const size_t k1 = text.find('"', k0 + 2);
        const std::string key = text.substr(k0 + 2, k1 - k0 - 2);
        size_t v0 = text.find_first_not_of(", ", k1 + 1);
        std::string value = "2";
        if (text[v0] == '"') value = text.substr(v0 + 1, text.find('"', v0 + 1) - v0 - 1);
        out.emplace_back(key, value);
        p = text.find('}', v0) + 1;
      }
    }
  }
  return out;
}

TEST(DetectorOptionsMapping, EveryProposedSettingMeansTheSameToTheCliAndTheWhatIf) {
  const auto settings = proposed_settings();
  // threads (3 rules), conf, gpu_pipeline (2), half, cuda_graph (2), batch: at least these.
  ASSERT_GE(settings.size(), 8u) << "the advisor's settings were not found in its sources";
  const DetectorOptions defaults = detector_options(Config{});
  for (const auto& [key, value] : settings) {
    const std::string what = key + "=" + value;
    ASSERT_TRUE(is_detector_option(key)) << what << " is proposed but sets no detector option";
    Config typed;
    ASSERT_NO_THROW(typed.set(key, value)) << what << " is not a valid command-line argument";
    DetectorOptions whatif = defaults;
    ASSERT_NO_THROW(apply_setting(whatif, key, value)) << what;
    expect_same(detector_options(typed), whatif, what);
  }
}

// Each mapped key is a command-line key, and its default as the argument table writes it reads
// back as the CLI's parsed default: one spelling for both.
TEST(DetectorOptionsMapping, EveryKeyIsACliKeyWhoseDefaultTextReadsAsTheCliDefault) {
  const Config defaults;
  const DetectorOptions cli = detector_options(defaults);
  for (std::string_view key : detector_option_keys()) {
    const ArgSpec* spec = nullptr;
    for (const ArgSpec& s : kArgSpecs)
      if (s.key == key) spec = &s;
    ASSERT_NE(spec, nullptr) << key << " is no command-line key";
    DetectorOptions text = cli;
    apply_setting(text, key, spec->default_value);
    expect_same(cli, text, std::string(key) + "=" + std::string(spec->default_value));
  }
}

}  // namespace
}  // namespace ys
