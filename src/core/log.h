// Minimal leveled logging to stderr. The level comes from YS_LOG (debug, info, warn, error) or
// from the CLI's verbose= argument.
#pragma once

#include <string>

#include "core/error.h"

namespace ys {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
void log_message(LogLevel level, const std::string& message);

template <typename... Args>
void log_debug(Args&&... a) {
  if (log_level() <= LogLevel::kDebug) log_message(LogLevel::kDebug, cat(std::forward<Args>(a)...));
}
template <typename... Args>
void log_info(Args&&... a) {
  if (log_level() <= LogLevel::kInfo) log_message(LogLevel::kInfo, cat(std::forward<Args>(a)...));
}
template <typename... Args>
void log_warn(Args&&... a) {
  if (log_level() <= LogLevel::kWarn) log_message(LogLevel::kWarn, cat(std::forward<Args>(a)...));
}
template <typename... Args>
void log_error(Args&&... a) {
  if (log_level() <= LogLevel::kError) log_message(LogLevel::kError, cat(std::forward<Args>(a)...));
}

}  // namespace ys
