// Locating ../shared test data. Tests that need it call YS_REQUIRE_TESTDATA() and skip with a
// message saying what is missing, so a user's fresh clone runs the rest of the suite.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ys::testing {

inline std::string testdata_dir() {
  const char* env = std::getenv("YOLOSCOPE_TESTDATA");
  return env && *env ? std::string(env) : std::string(YS_DEFAULT_TESTDATA);
}

inline std::string testdata(const std::string& rel) { return testdata_dir() + "/" + rel; }

inline std::string source_dir() { return YS_SOURCE_DIR; }

}  // namespace ys::testing

#define YS_REQUIRE_TESTDATA(rel)                                                                \
  do {                                                                                          \
    if (!std::filesystem::exists(::ys::testing::testdata(rel)))                                 \
      GTEST_SKIP() << "shared test data not found: " << ::ys::testing::testdata(rel)            \
                   << " (set YOLOSCOPE_TESTDATA to a copy of ../shared)";                        \
  } while (0)
