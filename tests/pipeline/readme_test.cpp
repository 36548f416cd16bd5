// The README shows examples/detect_image.cpp and the argument table verbatim; these tests keep
// them from drifting apart from the code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli/args.h"
#include "test_data.h"

namespace {

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Readme, ShowsTheLibraryExampleVerbatim) {
  const std::string readme = read(ys::testing::source_dir() + "/README.md");
  const std::string example = read(ys::testing::source_dir() + "/examples/detect_image.cpp");
  ASSERT_FALSE(example.empty());
  EXPECT_NE(readme.find("```cpp\n" + example + "```"), std::string::npos)
      << "copy examples/detect_image.cpp into README.md's library section";
}

TEST(Readme, ArgumentTableMatchesTheCommand) {
  const std::string readme = read(ys::testing::source_dir() + "/README.md");
  EXPECT_NE(readme.find(ys::args_markdown_table()), std::string::npos)
      << "regenerate README.md's argument table from docs/CLI.md";
}

}  // namespace
