#include "cli/args.h"

#include <algorithm>
#include <array>

#include "cli/arg_suggest.h"
#include "cli/arg_values.h"
#include "cli/py_literal.h"
#include "cli/ultralytics_keys.h"
#include "core/error.h"
#include "core/log.h"

namespace ys {
namespace {

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

template <size_t N>
std::vector<std::string> to_strings(const std::array<std::string_view, N>& list) {
  return {list.begin(), list.end()};
}

// Joins what the shell split: brackets first ("imgsz=[640," "480]"), then lone '=' signs
// ("conf" "=" "0.5", "conf=" "0.5", "conf" "=0.5"), as Ultralytics' merge_equals_args does.
std::vector<std::string> merge_args(const std::vector<std::string>& args) {
  std::vector<std::string> joined;
  std::string open;
  int depth = 0;
  for (const std::string& arg : args) {
    for (char c : arg) depth += (c == '[' || c == '(') - (c == ']' || c == ')');
    open += arg;
    if (depth <= 0) {
      joined.push_back(std::move(open));
      open.clear();
      depth = 0;
    }
  }
  if (!open.empty()) joined.push_back(std::move(open));

  std::vector<std::string> merged;
  for (size_t i = 0; i < joined.size(); ++i) {
    const std::string& arg = joined[i];
    const bool has_next = i + 1 < joined.size();
    if (arg == "=" && !merged.empty() && has_next) {
      merged.back() += "=" + joined[++i];
    } else if (arg.size() > 1 && arg.back() == '=' && has_next &&
               joined[i + 1].find('=') == std::string::npos) {
      merged.push_back(arg + joined[++i]);
    } else if (arg.size() > 1 && arg.front() == '=' && !merged.empty()) {
      merged.back() += arg;
    } else {
      merged.push_back(arg);
    }
  }
  return merged;
}

// help, -h, --help, version, -v, checks, check, --checks ... as Ultralytics accepts them.
std::string special_mode(const std::string& arg) {
  std::string word = to_lower(arg);
  if (word.rfind("--", 0) == 0) {
    word.erase(0, 2);
  } else if (word.rfind('-', 0) == 0) {
    word.erase(0, 1);
  }
  for (std::string_view mode : kSpecialModes) {
    const bool singular = mode.back() == 's' && word == mode.substr(0, mode.size() - 1);
    if (word == mode || singular || word == mode.substr(0, 1)) return std::string(mode);
  }
  return "";
}

// What a report sub-command lacks, or "" when it has what it needs.
std::string missing_report_argument(const std::string& sub, const Config& c) {
  const bool has_dir = !c.get_string("dir").empty(), has_file = !c.get_string("file").empty();
  if (sub == "serve" && has_dir == has_file)
    return "'yolo report serve' needs the profile directory or an encrypted report (one of them), "
           "i.e. 'dir=runs/detect/predict/profile' or 'file=runs/detect/predict/profile.ysr'";
  if (sub == "encrypt" && !has_dir)
    return "'yolo report encrypt' needs the profile directory, i.e. "
           "'dir=runs/detect/predict/profile'";
  if (sub == "decrypt" && (!has_file || c.get_string("out").empty()))
    return "'yolo report decrypt' needs the encrypted report and a new folder, i.e. "
           "'file=runs/detect/predict/profile.ysr out=profile_plain'";
  if (sub == "upload" && (!has_file || c.get_string("to").empty()))
    return "'yolo report upload' needs the report file and where to, i.e. "
           "'file=runs/detect/predict/profile.ysr to=s3://bucket/prefix/'";
  return "";
}

struct Parser {
  CliCommand cmd;
  std::vector<std::string> errors;

  void set_task(const std::string& task) {
    if (task == "detect") {
      cmd.task = task;
    } else if (contains(kRefusedTasks, task)) {
      errors.push_back(cat("task '", task, "' is not supported: YoloScope does detection only"));
    } else {
      errors.push_back(cat("Invalid 'task=", task, "'. Valid tasks are ['detect']."));
    }
  }

  void set_mode(const std::string& mode) {
    if (contains(kModes, mode)) {
      cmd.mode = mode;
    } else if (contains(kRefusedModes, mode)) {
      errors.push_back(cat("mode '", mode, "' is not supported: YoloScope runs inference only (",
                           "predict, export, info, report)"));
    } else {
      errors.push_back(
          cat("Invalid 'mode=", mode, "'. Valid modes are ", py_list(to_strings(kModes)), "."));
    }
  }

  void set_value(const std::string& key, const std::string& value) {
    if (key == "task") return set_task(std::string(trim(value)));
    if (key == "mode") return set_mode(std::string(trim(value)));
    if (const ForeignKey* foreign = find_foreign_key(key)) {
      if (std::string error = check_foreign_key(*foreign, value); !error.empty())
        errors.push_back(std::move(error));
      return;
    }
    try {
      cmd.config.set(key, value);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }

  void positional(const std::string& arg) {
    if (arg == "detect" || contains(kRefusedTasks, arg)) return set_task(arg);
    if (contains(kModes, arg) || contains(kRefusedModes, arg)) return set_mode(arg);
    const ArgSpec* spec = find_spec(arg);
    if (cmd.mode == "report" && cmd.sub.empty()) {
      if (contains(kReportVerbs, arg)) {
        cmd.sub = arg;
        return;
      }
      if (!spec) {
        errors.push_back(cat("'", arg, "' is not a 'report' sub-command. Valid sub-commands are ",
                             py_list(to_strings(kReportVerbs)), "."));
        return;
      }
    }
    if ((spec && spec->type == ArgType::kBool) || find_foreign_key(arg))
      return set_value(arg, "True");
    if (spec) {
      errors.push_back(cat("'", arg, "' is a valid YoloScope argument but is missing an '=' ",
                           "sign to set its value, i.e. try '", arg, "=", spec->default_value,
                           "'"));
      return;
    }
    errors.push_back(unknown_key_message(arg));
  }

  // Checks between keys, made only once every key is valid on its own.
  void finish() {
    if (!errors.empty()) return;
    Config& config = cmd.config;
    if (cmd.task.empty()) cmd.task = "detect";
    if (cmd.mode.empty()) {
      cmd.mode = "predict";
      log_warn("'mode' argument is missing. Valid modes are ", py_list(to_strings(kModes)),
               ". Using default 'mode=predict'.");
    }
    if (cmd.mode == "report") {
      if (cmd.sub.empty()) {
        errors.push_back(
            "'yolo report' needs a sub-command, i.e. 'yolo report serve "
            "dir=runs/detect/predict/profile'");
      } else if (std::string missing = missing_report_argument(cmd.sub, config); !missing.empty()) {
        errors.push_back(std::move(missing));
      }
      return;
    }
    if (!config.is_set("model"))
      log_warn("'model' argument is missing. Using default 'model=", config.get_string("model"),
               "'.");
    if (cmd.mode == "predict" && !config.is_set("source"))
      log_warn("'source' argument is missing. Using default 'source=", config.get_string("source"),
               "'.");
    if (cmd.mode == "export" && !config.is_set("format"))
      log_warn("'format' argument is missing. Using default 'format=", config.get_string("format"),
               "'.");
    if (config.get_string("source") == "-" && config.get_int_list("raw_size").empty())
      errors.push_back(
          "'source=-' reads raw BGR frames from stdin and needs their size, i.e. "
          "'raw_size=1280x720'");
    if (config.get_bool("half") && config.get_string("device") == "cpu") {
      // As Ultralytics does: FP16 is a GPU feature, the CPU runs FP32.
      log_warn("'half=True' needs a CUDA device, using 'half=False' on 'device=cpu'.");
      config.values["half"] = false;
    }
  }
};

}  // namespace

Config::Config() {
  for (const ArgSpec& spec : kArgSpecs) values.emplace(spec.key, coerce(spec, spec.default_value));
}

namespace {

template <typename T>
const T& typed(const Config& config, std::string_view key, const char* type) {
  const auto it = config.values.find(key);
  YS_CHECK(it != config.values.end(), "unknown argument '", key, "'");
  const T* value = std::get_if<T>(&it->second);
  YS_CHECK(value, "argument '", key, "' is not a ", type);
  return *value;
}

}  // namespace

bool Config::get_bool(std::string_view key) const {
  return typed<bool>(*this, key, "bool");
}
int Config::get_int(std::string_view key) const {
  return typed<int>(*this, key, "int");
}

double Config::get_float(std::string_view key) const {
  const auto it = values.find(key);
  YS_CHECK(it != values.end(), "unknown argument '", key, "'");
  if (const int* i = std::get_if<int>(&it->second)) return *i;
  return typed<double>(*this, key, "float");
}

const std::string& Config::get_string(std::string_view key) const {
  return typed<std::string>(*this, key, "str");
}

std::vector<int> Config::get_int_list(std::string_view key) const {
  if (is_none(key)) return {};
  return typed<std::vector<int>>(*this, key, "list of ints");
}

bool Config::is_none(std::string_view key) const {
  const auto it = values.find(key);
  YS_CHECK(it != values.end(), "unknown argument '", key, "'");
  return std::holds_alternative<std::monostate>(it->second);
}

bool Config::is_set(std::string_view key) const {
  return given.count(key) > 0;
}

void Config::set(std::string_view key, std::string_view text) {
  const ArgSpec* spec = find_spec(key);
  if (!spec) fail(ErrorKind::kInvalidArgument, unknown_key_message(std::string(key)));
  if (trim(text).empty()) {
    fail(ErrorKind::kInvalidArgument, "missing '", key, "' value",
         spec->default_value.empty() ? std::string()
                                     : cat(", i.e. '", key, "=", spec->default_value, "'"));
  }
  values[std::string(key)] = coerce(*spec, text);
  given.emplace(key);
}

CliCommand parse_command_line(const std::vector<std::string>& args) {
  Parser p;
  if (args.empty()) p.cmd.mode = "help";
  for (std::string arg : merge_args(args)) {
    if (arg.find('=') == std::string::npos) {
      if (std::string special = special_mode(arg); !special.empty()) {
        // As in Ultralytics: a special command runs at once and ignores the rest.
        return CliCommand{"detect", special, "", Config()};
      }
    }
    if (arg.rfind("--", 0) == 0) {
      log_warn("argument '", arg, "' does not require leading dashes '--', updating to '",
               arg.substr(2), "'.");
      arg.erase(0, 2);
    }
    if (arg.size() > 1 && arg.back() == ',') {
      log_warn("argument '", arg, "' does not require trailing comma ',', updating to '",
               arg.substr(0, arg.size() - 1), "'.");
      arg.pop_back();
    }
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      p.set_value(std::string(trim(std::string_view(arg).substr(0, eq))), arg.substr(eq + 1));
    } else {
      p.positional(arg);
    }
  }
  if (p.cmd.mode == "help") return p.cmd;
  p.finish();
  if (!p.errors.empty()) {
    std::string msg;
    for (const std::string& e : p.errors) msg += e + "\n";
    fail(ErrorKind::kInvalidArgument, msg, "See 'yolo help' for every argument.");
  }
  return p.cmd;
}

void apply_environment(Config& config, const std::function<const char*(const char*)>& getenv) {
  const char* raw = getenv("PROFILING_ENABLED");
  if (!raw || trim(raw).empty()) return;
  const std::string value = to_lower(trim(raw));
  if (value != "true" && value != "false" && value != "1" && value != "0")
    fail(ErrorKind::kInvalidArgument, "'PROFILING_ENABLED=", raw,
         "' is an invalid value. It must be true or false");
  const bool on = value == "true" || value == "1";
  if (config.is_set("profile") && config.get_bool("profile") != on)
    log_warn("PROFILING_ENABLED=", raw, " overrides 'profile=", on ? "False" : "True", "'.");
  config.values["profile"] = on;
  config.given.emplace("profile");
}

}  // namespace ys
