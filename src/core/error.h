// Errors and message building. Every failure the user can cause (a bad model, image, argument)
// is an ys::Error whose message names the thing and says why; the code that catches it decides
// whether the run goes on.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace ys {

enum class ErrorKind {
  kInvalidArgument,
  kNotFound,
  kUnsupported,
  kBadModel,
  kBadInput,
  kIo,
  kInternal,
  kOutOfMemory
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Concatenates anything streamable; used instead of std::format, which g++ 12 lacks.
template <typename... Args>
std::string cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, Args&&... args) {
  throw Error(kind, cat(std::forward<Args>(args)...));
}

// Internal invariants: a broken one is our bug, not the user's.
#define YS_CHECK(cond, ...)                                                 \
  do {                                                                      \
    if (!(cond))                                                            \
      ::ys::fail(::ys::ErrorKind::kInternal, __FILE__, ":", __LINE__, ": ", \
                 "check failed: " #cond " " __VA_OPT__(, ) __VA_ARGS__);    \
  } while (0)

}  // namespace ys
