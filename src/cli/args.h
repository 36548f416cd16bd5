// The argument layer of the `yolo` command: `yolo [TASK] MODE key=value ...`, parsed the way
// Ultralytics' CLI parses it (values as Python literals, `key = value` joined, bare bool keys set
// True, unknown keys answered with the closest valid ones). kArgSpecs (cli/arg_table.h) is the one
// table of arguments: defaults, types, validation, `yolo help` and docs/CLI.md all come from it.
// parse_command_line returns a complete, validated command or throws ys::Error(kInvalidArgument)
// naming every bad argument, so nothing ever runs half-configured.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cli/arg_table.h"

namespace ys {

// None, bool, int, float, text, or a list of ints (imgsz, classes, profile_schedule, raw_size).
using ArgValue = std::variant<std::monostate, bool, int, double, std::string, std::vector<int>>;

// Every key of kArgSpecs with a typed value; a default-constructed Config holds the defaults.
// Getters check the type: asking for the wrong one is a bug in the caller (kInternal).
struct Config {
  Config();

  bool get_bool(std::string_view key) const;
  int get_int(std::string_view key) const;
  double get_float(std::string_view key) const;  // int values widen
  const std::string& get_string(std::string_view key) const;
  std::vector<int> get_int_list(std::string_view key) const;  // None gives {}
  bool is_none(std::string_view key) const;
  // True when the user gave the key (command line or environment), even at its default value.
  bool is_set(std::string_view key) const;

  // Parses and validates `text` as the command line would and marks the key set; throws
  // ys::Error(kInvalidArgument) on an unknown key or a bad value and then changes nothing.
  void set(std::string_view key, std::string_view text);

  std::map<std::string, ArgValue, std::less<>> values;
  std::set<std::string, std::less<>> given;
};

struct CliCommand {
  std::string task;  // "detect"
  std::string mode;  // predict, export, info, report, help, version, checks
  std::string sub;   // report's verb: "serve"
  Config config;
};

// args excludes the program name. No arguments means help.
CliCommand parse_command_line(const std::vector<std::string>& args);

// PROFILING_ENABLED=true|false (also 1/0, any case) wins over profile=. `getenv` is std::getenv
// in the binary and a stub in tests.
void apply_environment(Config& config, const std::function<const char*(const char*)>& getenv);

// Up to three valid arguments (keys, tasks, modes, commands) closest to `word`, best first, by
// difflib's similarity ratio with cutoff 0.6, as Ultralytics suggests them.
std::vector<std::string> similar_keys(const std::string& word);

// Usage, examples and the argument table, for `yolo help`.
std::string help_text();

// The argument table as markdown; docs/CLI.md holds it between markers and a test compares them.
std::string args_markdown_table();

}  // namespace ys
