// What this build of YoloScope contains: its version and the versions of the libraries it links,
// for `yolo version`, `yolo checks` and the environment section of every report. The backends built
// in are listed by available_backends (backends/backend_registry.h).
#pragma once

#include <map>
#include <string>

namespace ys {

constexpr const char* kYoloScopeVersion = "0.1.0";

std::map<std::string, std::string> library_versions();

}  // namespace ys
