#include "core/log.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>

namespace ys {
namespace {

LogLevel initial_level() {
  const char* env = std::getenv("YS_LOG");
  if (!env) return LogLevel::kInfo;
  if (!std::strcmp(env, "debug")) return LogLevel::kDebug;
  if (!std::strcmp(env, "warn")) return LogLevel::kWarn;
  if (!std::strcmp(env, "error")) return LogLevel::kError;
  if (!std::strcmp(env, "off")) return LogLevel::kOff;
  return LogLevel::kInfo;
}

std::atomic<LogLevel>& level_ref() {
  static std::atomic<LogLevel> level{initial_level()};
  return level;
}

}  // namespace

void set_log_level(LogLevel level) {
  level_ref() = level;
}
LogLevel log_level() {
  return level_ref();
}

void log_message(LogLevel level, const std::string& message) {
  static std::mutex mu;
  static const char* const kTags[] = {"debug", "info", "WARNING", "ERROR", ""};
  std::lock_guard<std::mutex> lock(mu);
  if (level == LogLevel::kInfo) {
    std::cerr << message << '\n';
  } else {
    std::cerr << kTags[static_cast<int>(level)] << ": " << message << '\n';
  }
}

}  // namespace ys
