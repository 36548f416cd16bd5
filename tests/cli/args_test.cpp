#include "cli/args.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/ultralytics_keys.h"
#include "core/error.h"
#include "test_data.h"

namespace ys {
namespace {

using Args = std::vector<std::string>;

Config parse(const Args& args) {
  return parse_command_line(args).config;
}

Config with(const std::string& key_value) {
  return parse({"predict", key_value});
}

// The error parse_command_line throws; the test fails if it throws none.
std::string error_of(const Args& args) {
  try {
    parse_command_line(args);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << ::testing::PrintToString(args);
  return "";
}

std::string warnings_of(const Args& args) {
  ::testing::internal::CaptureStderr();
  parse_command_line(args);
  return ::testing::internal::GetCapturedStderr();
}

TEST(CliArgsDefaults, TableDefaultsAreTyped) {
  const Config c;
  EXPECT_EQ(c.get_string("model"), "yolov8n.yaml");
  EXPECT_EQ(c.get_string("source"), "synthetic");
  EXPECT_EQ(c.get_int_list("imgsz"), (std::vector<int>{640, 640}));
  EXPECT_EQ(c.get_int("batch"), 1);
  EXPECT_DOUBLE_EQ(c.get_float("conf"), 0.25);
  EXPECT_DOUBLE_EQ(c.get_float("iou"), 0.7);
  EXPECT_TRUE(c.is_none("classes"));
  EXPECT_TRUE(c.get_int_list("classes").empty());
  EXPECT_EQ(c.get_string("device"), "cpu");
  EXPECT_TRUE(c.get_bool("save"));
  EXPECT_TRUE(c.get_bool("cuda_graph"));
  EXPECT_FALSE(c.get_bool("profile"));
  EXPECT_TRUE(c.is_none("line_width"));
  EXPECT_EQ(c.get_int_list("profile_schedule"), (std::vector<int>{5, 10, 100, 1}));
  EXPECT_TRUE(c.get_int_list("raw_size").empty());
  EXPECT_DOUBLE_EQ(c.get_float("raw_fps"), 30.0);
  EXPECT_EQ(c.get_string("profile_detail"), "default");
  EXPECT_EQ(c.get_int("port"), 8080);
  EXPECT_EQ(c.get_string("dir"), "");
  for (const ArgSpec& spec : kArgSpecs) EXPECT_FALSE(c.is_set(spec.key)) << spec.key;
}

TEST(CliArgsDefaults, WrongGetterIsInternalError) {
  const Config c;
  try {
    c.get_int("conf");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  }
  EXPECT_THROW(c.get_bool("no_such_key"), Error);
}

TEST(CliArgsValues, Bools) {
  for (const char* v : {"True", "true", "TRUE", "1"})
    EXPECT_TRUE(with(cat("profile=", v)).get_bool("profile")) << v;
  for (const char* v : {"False", "false", "FALSE", "0"})
    EXPECT_FALSE(with(cat("save=", v)).get_bool("save")) << v;
}

TEST(CliArgsValues, NumbersAndIsSet) {
  const Config c =
      parse({"predict", "batch=8", "conf=0.5", "iou=1", "raw_fps=2.5e1", "max_det=+10"});
  EXPECT_EQ(c.get_int("batch"), 8);
  EXPECT_DOUBLE_EQ(c.get_float("conf"), 0.5);
  EXPECT_DOUBLE_EQ(c.get_float("iou"), 1.0);
  EXPECT_DOUBLE_EQ(c.get_float("raw_fps"), 25.0);
  EXPECT_EQ(c.get_int("max_det"), 10);
  EXPECT_TRUE(c.is_set("batch"));
  EXPECT_FALSE(c.is_set("threads"));
  EXPECT_DOUBLE_EQ(with("conf=.5").get_float("conf"), 0.5);
  EXPECT_EQ(with("conf=0.25").is_set("conf"), true);  // given at its default is still given
}

TEST(CliArgsValues, ListsAndTuples) {
  EXPECT_EQ(with("imgsz=640").get_int_list("imgsz"), (std::vector<int>{640, 640}));
  EXPECT_EQ(with("imgsz=[640,480]").get_int_list("imgsz"), (std::vector<int>{640, 480}));
  EXPECT_EQ(with("imgsz=(640, 480)").get_int_list("imgsz"), (std::vector<int>{640, 480}));
  EXPECT_EQ(with("imgsz=640,480").get_int_list("imgsz"), (std::vector<int>{640, 480}));
  EXPECT_EQ(with("imgsz=[320]").get_int_list("imgsz"), (std::vector<int>{320, 320}));
  EXPECT_EQ(with("classes=0").get_int_list("classes"), (std::vector<int>{0}));
  EXPECT_EQ(with("classes=[0, 2,]").get_int_list("classes"), (std::vector<int>{0, 2}));
  EXPECT_TRUE(with("classes=None").is_none("classes"));
  EXPECT_EQ(with("line_width=3").get_int("line_width"), 3);
  EXPECT_EQ(with("profile_schedule=0,2,50,0").get_int_list("profile_schedule"),
            (std::vector<int>{0, 2, 50, 0}));
  EXPECT_EQ(with("profile_schedule='1,1,10,2'").get_int_list("profile_schedule"),
            (std::vector<int>{1, 1, 10, 2}));
  EXPECT_EQ(with("profile_schedule=2,3,40").get_int_list("profile_schedule"),
            (std::vector<int>{2, 3, 40, 1}));
  EXPECT_EQ(with("raw_size=1280x720").get_int_list("raw_size"), (std::vector<int>{1280, 720}));
}

TEST(CliArgsValues, StringsKeepTheirText) {
  EXPECT_EQ(with("name='my run'").get_string("name"), "my run");
  EXPECT_EQ(with("name=\"exp\"").get_string("name"), "exp");
  EXPECT_EQ(with("name=1.0").get_string("name"), "1.0");
  EXPECT_EQ(with("source=0").get_string("source"), "0");
  EXPECT_EQ(with("source=rtsp://cam/live?user=a").get_string("source"), "rtsp://cam/live?user=a");
  EXPECT_EQ(with("model=yolov8n.onnx").get_string("model"), "yolov8n.onnx");
  EXPECT_EQ(with("profile_detail=detailed").get_string("profile_detail"), "detailed");
  EXPECT_EQ(parse({"export", "format=ONNX"}).get_string("format"), "onnx");
}

TEST(CliArgsValues, DevicesNormalizeLikeUltralytics) {
  EXPECT_EQ(with("device=0").get_string("device"), "0");
  EXPECT_EQ(with("device=cuda:1").get_string("device"), "1");
  EXPECT_EQ(with("device=cuda").get_string("device"), "0");
  EXPECT_EQ(with("device=0,1").get_string("device"), "0,1");
  EXPECT_EQ(with("device=[0, 1]").get_string("device"), "0,1");
  EXPECT_EQ(with("device=CPU").get_string("device"), "cpu");
}

TEST(CliArgsValues, ImgszRoundsUpToStrideWithWarning) {
  ::testing::internal::CaptureStderr();
  const Config c = with("imgsz=[641,100]");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(c.get_int_list("imgsz"), (std::vector<int>{672, 128}));
  EXPECT_NE(err.find("imgsz=[641,100] must be multiple of max stride 32, updating to [672, 128]"),
            std::string::npos)
      << err;
}

TEST(CliArgsErrors, UnknownKeySuggestsClosest) {
  EXPECT_EQ(similar_keys("cnf"), (std::vector<std::string>{"conf"}));
  const std::string e = error_of({"predict", "cnf=0.3"});
  EXPECT_NE(e.find("'cnf' is not a valid YoloScope argument. Similar arguments are i.e. "
                   "['conf=0.25']."),
            std::string::npos)
      << e;
  EXPECT_NE(error_of({"predit"}).find("Similar arguments are i.e. ['predict', "),
            std::string::npos);
  EXPECT_NE(error_of({"predict", "imgz=320"}).find("['imgsz=640']"), std::string::npos);
  EXPECT_NE(error_of({"predict", "linewidth=2"}).find("['line_width']"), std::string::npos);
  const std::string none = error_of({"predict", "qqqqqq=1"});
  EXPECT_NE(none.find("'qqqqqq' is not a valid YoloScope argument."), std::string::npos);
  EXPECT_EQ(none.find("Similar"), std::string::npos);
}

TEST(CliArgsErrors, SimilarKeysRankLikeDifflib) {
  EXPECT_EQ(similar_keys("save_jsn"), (std::vector<std::string>{"save_json", "save_conf", "save"}));
  EXPECT_EQ(similar_keys("devic"), (std::vector<std::string>{"device"}));
  EXPECT_TRUE(similar_keys("xyzzy").empty());
}

TEST(CliArgsErrors, BadValuesNameKeyValueAndExpectation) {
  struct Case {
    const char* arg;
    const char* expected;
  };
  const Case cases[] = {
      {"conf=abc",
       "'conf=abc' is of invalid type str. 'conf' must be a number between 0.0 and 1.0"},
      {"conf=1.5",
       "'conf=1.5' is an invalid value. 'conf' must be a number between 0.0 and 1.0 "
       "(i.e. 'conf=0.25')"},
      {"iou=-0.1", "'iou=-0.1' is an invalid value"},
      {"batch=0", "'batch=0' is an invalid value. 'batch' must be an int >= 1 (i.e. 'batch=1')"},
      {"batch=2.5", "'batch=2.5' is of invalid type float. 'batch' must be an int >= 1"},
      {"batch=True", "'batch=True' is of invalid type bool"},
      {"threads=-1",
       "'threads=-1' is an invalid value. 'threads' must be an int between 0 and 1024"},
      {"threads=1025",
       "'threads=1025' is an invalid value. 'threads' must be an int between 0 and 1024"},
      {"streams=65", "'streams=65' is an invalid value. 'streams' must be an int between 1 and 64"},
      {"profile_schedule=0,0,2000000000,2", "spanning at most 2147483647 frames"},
      {"max_det=99999999999", "'max_det=99999999999' is an invalid value"},
      {"save=maybe",
       "'save=maybe' is of invalid type str. 'save' must be a bool (i.e. 'save=True' "
       "or 'save=False')"},
      {"save=2", "'save=2' is an invalid value. 'save' must be a bool"},
      {"device=banana",
       "'device=banana' is an invalid value. 'device' must be 'cpu', 'cuda', a CUDA"},
      {"device=-1", "'device=-1' is an invalid value"},
      {"device=0.5", "'device=0.5' is of invalid type float"},
      {"imgsz=abc", "'imgsz=abc' is of invalid type str. 'imgsz' must be an int or an [h, w] list"},
      {"imgsz=[640,480,3]", "'imgsz=[640,480,3]' is an invalid value"},
      {"imgsz=0", "'imgsz=0' is an invalid value"},
      {"classes=-1", "'classes=-1' is an invalid value"},
      {"classes=[]", "'classes=[]' is an invalid value"},
      {"classes=person", "'classes=person' is of invalid type str"},
      {"line_width=0", "'line_width' must be an int >= 1 or None"},
      {"raw_fps=0", "'raw_fps=0' is an invalid value. 'raw_fps' must be a number > 0"},
      {"raw_size=1280", "'raw_size=1280' is of invalid type int"},
      {"raw_size=12x", "'raw_size=12x' is an invalid value. 'raw_size' must be 'WxH'"},
      {"port=70000", "'port=70000' is an invalid value. 'port' must be an int between 0 and 65535"},
      {"profile_schedule=1,2,0,1", "'profile_schedule=1,2,0,1' is an invalid value"},
      {"profile_schedule=1,2", "'profile_schedule=1,2' is an invalid value"},
      {"profile_detail=max",
       "'profile_detail=max' is an invalid value. 'profile_detail' must be "
       "one of 'default', 'detailed'"},
      {"format=engine", "'format=engine' is an invalid value. 'format' must be one of 'onnx'"},
      {"source=None", "'source=None' is of invalid type NoneType. 'source' must be a str"},
      {"conf=", "missing 'conf' value, i.e. 'conf=0.25'"},
  };
  for (const Case& c : cases) {
    const std::string e = error_of({"predict", c.arg});
    EXPECT_NE(e.find(c.expected), std::string::npos) << c.arg << " gave: " << e;
  }
}

TEST(CliArgsErrors, EveryBadArgumentIsReportedAtOnce) {
  const std::string e = error_of({"predict", "conf=2", "batch=0", "cnf=1", "segment"});
  EXPECT_NE(e.find("'conf=2'"), std::string::npos) << e;
  EXPECT_NE(e.find("'batch=0'"), std::string::npos) << e;
  EXPECT_NE(e.find("'cnf'"), std::string::npos) << e;
  EXPECT_NE(e.find("task 'segment'"), std::string::npos) << e;
}

TEST(CliArgsErrors, FailedSetChangesNothing) {
  Config c;
  c.set("conf", "0.4");
  EXPECT_THROW(c.set("conf", "7"), Error);
  EXPECT_DOUBLE_EQ(c.get_float("conf"), 0.4);
  EXPECT_THROW(c.set("nope", "1"), Error);
  EXPECT_FALSE(c.is_set("batch"));
}

TEST(CliArgsSyntax, SpacesAroundEqualsAreJoined) {
  EXPECT_DOUBLE_EQ(parse({"predict", "conf", "=", "0.5"}).get_float("conf"), 0.5);
  EXPECT_DOUBLE_EQ(parse({"predict", "conf=", "0.5"}).get_float("conf"), 0.5);
  EXPECT_DOUBLE_EQ(parse({"predict", "conf", "=0.5"}).get_float("conf"), 0.5);
  const std::vector<int> hw{640, 480};
  EXPECT_EQ(parse({"predict", "imgsz=[640,", "480]"}).get_int_list("imgsz"), hw);
  EXPECT_EQ(parse({"predict", "imgsz", "=", "[640,", "480]"}).get_int_list("imgsz"), hw);
  EXPECT_EQ(parse({"predict", "imgsz=", "(640,", "480)"}).get_int_list("imgsz"), hw);
  const Config c = parse({"predict", "conf", "=", "0.3", "iou=", "0.6", "batch", "=2"});
  EXPECT_DOUBLE_EQ(c.get_float("conf"), 0.3);
  EXPECT_DOUBLE_EQ(c.get_float("iou"), 0.6);
  EXPECT_EQ(c.get_int("batch"), 2);
}

TEST(CliArgsSyntax, DashesAndTrailingCommasAreDroppedWithWarning) {
  ::testing::internal::CaptureStderr();
  const Config c = parse({"predict", "--conf=0.5", "batch=4,"});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_DOUBLE_EQ(c.get_float("conf"), 0.5);
  EXPECT_EQ(c.get_int("batch"), 4);
  EXPECT_NE(err.find("does not require leading dashes"), std::string::npos) << err;
  EXPECT_NE(err.find("does not require trailing comma"), std::string::npos) << err;
}

TEST(CliArgsSyntax, BareBoolKeySetsTrueOthersNeedEquals) {
  const Config c = parse({"predict", "profile", "serve", "agnostic_nms"});
  EXPECT_TRUE(c.get_bool("profile"));
  EXPECT_TRUE(c.get_bool("serve"));
  EXPECT_TRUE(c.get_bool("agnostic_nms"));
  EXPECT_NE(error_of({"predict", "conf"})
                .find("'conf' is a valid YoloScope argument but is "
                      "missing an '=' sign to set its value, i.e. try "
                      "'conf=0.25'"),
            std::string::npos);
}

TEST(CliArgsModes, TasksAndModes) {
  CliCommand cmd = parse_command_line({"predict"});
  EXPECT_EQ(cmd.task, "detect");
  EXPECT_EQ(cmd.mode, "predict");
  cmd = parse_command_line({"detect", "export", "format=onnx", "opset=13"});
  EXPECT_EQ(cmd.mode, "export");
  EXPECT_EQ(cmd.config.get_int("opset"), 13);
  EXPECT_EQ(parse_command_line({"info", "model=m.onnx"}).mode, "info");
  cmd = parse_command_line({"task=detect", "mode=export"});
  EXPECT_EQ(cmd.task, "detect");
  EXPECT_EQ(cmd.mode, "export");
}

TEST(CliArgsModes, MissingModeDefaultsToPredictWithWarning) {
  const std::string err = warnings_of({"conf=0.5"});
  EXPECT_NE(err.find("'mode' argument is missing. Valid modes are ['predict', 'export', 'info', "
                     "'report', 'benchmark', 'compare']. Using default 'mode=predict'."),
            std::string::npos)
      << err;
  EXPECT_EQ(parse_command_line({"conf=0.5"}).mode, "predict");
  EXPECT_NE(warnings_of({"predict"})
                .find("'source' argument is missing. Using default "
                      "'source=synthetic'."),
            std::string::npos);
  EXPECT_NE(warnings_of({"export"}).find("Using default 'format=onnx'."), std::string::npos);
}

TEST(CliArgsModes, OtherTasksAndTrainingModesAreRefused) {
  EXPECT_NE(error_of({"segment", "predict"})
                .find("task 'segment' is not supported: YoloScope does detection only"),
            std::string::npos);
  for (const char* task : {"classify", "pose", "obb"})
    EXPECT_NE(error_of({task, "predict"}).find(cat("task '", task, "' is not supported")),
              std::string::npos);
  EXPECT_NE(error_of({"task=pose"}).find("task 'pose' is not supported"), std::string::npos);
  EXPECT_NE(error_of({"task=dtect"}).find("Invalid 'task=dtect'"), std::string::npos);
  EXPECT_NE(
      error_of({"train"}).find("mode 'train' is not supported: YoloScope runs inference only"),
      std::string::npos);
  EXPECT_NE(error_of({"mode=fly"}).find("Invalid 'mode=fly'. Valid modes are"), std::string::npos);
}

TEST(CliArgsModes, SpecialCommands) {
  EXPECT_EQ(parse_command_line({}).mode, "help");
  for (const char* a : {"help", "HELP", "-h", "--help", "h"})
    EXPECT_EQ(parse_command_line({a}).mode, "help") << a;
  for (const char* a : {"version", "-v", "--version"})
    EXPECT_EQ(parse_command_line({a}).mode, "version") << a;
  for (const char* a : {"checks", "check", "--checks"})
    EXPECT_EQ(parse_command_line({a}).mode, "checks") << a;
  // As in Ultralytics, a special command runs at once, whatever follows it.
  EXPECT_EQ(parse_command_line({"predict", "help", "cnf=1"}).mode, "help");
}

TEST(CliArgsModes, ReportServe) {
  const CliCommand cmd =
      parse_command_line({"report", "serve", "dir=runs/detect/predict/profile", "port=9000"});
  EXPECT_EQ(cmd.mode, "report");
  EXPECT_EQ(cmd.sub, "serve");
  EXPECT_EQ(cmd.config.get_string("dir"), "runs/detect/predict/profile");
  EXPECT_EQ(cmd.config.get_int("port"), 9000);
  EXPECT_FALSE(cmd.config.get_bool("serve"));
  EXPECT_NE(error_of({"report"}).find("'yolo report' needs a sub-command"), std::string::npos);
  EXPECT_NE(error_of({"report", "serve"}).find("needs the profile directory"), std::string::npos);
  EXPECT_NE(error_of({"report", "open", "dir=x"}).find("'open' is not a 'report' sub-command"),
            std::string::npos);
}

TEST(CliArgsModes, CrossChecks) {
  EXPECT_NE(error_of({"predict", "source=-"}).find("needs their size, i.e. 'raw_size=1280x720'"),
            std::string::npos);
  EXPECT_EQ(parse({"predict", "source=-", "raw_size=640x480"}).get_int_list("raw_size"),
            (std::vector<int>{640, 480}));
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(parse({"predict", "half=True"}).get_bool("half"));
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("'half=True' needs a CUDA device"),
            std::string::npos);
  EXPECT_TRUE(parse({"predict", "half=True", "device=0"}).get_bool("half"));
}

TEST(CliArgsEnvironment, ProfilingEnabledWinsOverProfileArgument) {
  const auto env = [](const char* value) {
    return [value](const char* name) -> const char* {
      return std::string(name) == "PROFILING_ENABLED" ? value : nullptr;
    };
  };
  Config c = with("profile=False");
  apply_environment(c, env("true"));
  EXPECT_TRUE(c.get_bool("profile"));
  c = with("profile=True");
  apply_environment(c, env("FALSE"));
  EXPECT_FALSE(c.get_bool("profile"));
  EXPECT_TRUE(c.is_set("profile"));
  c = Config();
  apply_environment(c, env("1"));
  EXPECT_TRUE(c.get_bool("profile"));
  for (const char* unset : {static_cast<const char*>(nullptr), ""}) {
    c = with("profile=True");
    apply_environment(c, env(unset));
    EXPECT_TRUE(c.get_bool("profile"));
  }
  c = Config();
  try {
    apply_environment(c, env("maybe"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("'PROFILING_ENABLED=maybe'"), std::string::npos);
  }
}

TEST(CliArgsHelp, HelpListsEveryKeyWithDefault) {
  const std::string help = help_text();
  for (const char* word : {"predict", "export", "info", "report serve", "PROFILING_ENABLED"})
    EXPECT_NE(help.find(word), std::string::npos) << word;
  for (const ArgSpec& spec : kArgSpecs) {
    EXPECT_NE(help.find(cat("\n  ", spec.key, " ")), std::string::npos) << spec.key;
    EXPECT_NE(help.find(spec.help), std::string::npos) << spec.key;
  }
}

// docs/CLI.md holds args_markdown_table() between markers; YS_UPDATE_DOCS=1 rewrites it.
TEST(CliArgsDocs, CliMarkdownMatchesTheTable) {
  const std::string path = ::ys::testing::source_dir() + "/docs/CLI.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream buf;
  buf << in.rdbuf();
  std::string doc = buf.str();

  const std::string begin = "<!-- arguments:begin -->\n", end = "<!-- arguments:end -->";
  const size_t from = doc.find(begin), to = doc.find(end);
  ASSERT_NE(from, std::string::npos) << "docs/CLI.md lacks " << begin;
  ASSERT_NE(to, std::string::npos) << "docs/CLI.md lacks " << end;
  const std::string table = args_markdown_table();
  if (doc.substr(from + begin.size(), to - from - begin.size()) != table) {
    const char* update = std::getenv("YS_UPDATE_DOCS");
    ASSERT_TRUE(update && std::string(update) == "1")
        << "docs/CLI.md's argument table differs from kArgSpecs; rerun this test with "
           "YS_UPDATE_DOCS=1 to regenerate it. Expected:\n"
        << table;
    doc.replace(from + begin.size(), to - from - begin.size(), table);
    std::ofstream(path) << doc;
  }
  for (const ArgSpec& spec : kArgSpecs)
    EXPECT_NE(doc.find(cat("| `", spec.key, "` | `",
                           spec.default_value.empty() ? "''" : spec.default_value, "` |")),
              std::string::npos)
        << "docs/CLI.md lacks the argument " << spec.key;
}

// Issue 12.6: Ultralytics users pass these; they ended the run as unknown arguments (exit 2).
TEST(CliArgsForeignKeys, IgnoredWithAWarningOrRefusedWhenTheyChangeResults) {
  for (const ForeignKey& k : kForeignKeys) {
    const std::string key(k.key);
    SCOPED_TRACE(key);
    if (k.policy == ForeignKeyPolicy::kIgnore) {
      EXPECT_NE(warnings_of({"predict", key + "=True"}).find("'" + key + "=True' is ignored"),
                std::string::npos);
      EXPECT_NE(warnings_of({"predict", key}).find("is ignored"), std::string::npos)
          << "a bare key is key=True";
    } else {
      EXPECT_NE(error_of({"predict", key + "=True"}).find("'" + key + "=True' is not supported"),
                std::string::npos);
    }
    for (const char* nothing : {"False", "0", "None", "[]", "''"})
      EXPECT_EQ(warnings_of({"predict", "model=m.onnx", "source=a.jpg", key + "=" + nothing}), "")
          << nothing;
  }
  EXPECT_NE(error_of({"predict", "embed=[15, 18]"}).find("feature vectors"), std::string::npos);
}

TEST(CliArgsForeignKeys, DocsListEveryOneWithItsPolicy) {
  std::ifstream in(::ys::testing::source_dir() + "/docs/CLI.md");
  std::stringstream buf;
  buf << in.rdbuf();
  for (const ForeignKey& k : kForeignKeys) {
    const std::string row = cat(
        "| `", k.key, "` | ", k.policy == ForeignKeyPolicy::kIgnore ? "ignored" : "refused", " |");
    EXPECT_NE(buf.str().find(row), std::string::npos) << "docs/CLI.md lacks the row " << row;
  }
}

}  // namespace
}  // namespace ys
