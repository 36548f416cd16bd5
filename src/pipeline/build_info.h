// What this build of YoloScope contains: backends and the versions of the libraries it links,
// for `yolo version`, `yolo checks` and the environment section of every report.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ys {

constexpr const char* kYoloScopeVersion = "0.1.0";

std::map<std::string, std::string> library_versions();
// "cpu (oneDNN 2.6.3)", "cuda (...)"; the first is the default.
std::vector<std::string> available_backends();

}  // namespace ys
