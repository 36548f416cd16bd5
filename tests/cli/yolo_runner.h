// Runs the `yolo` binary as a user would, in a scratch folder of its own per test.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace ys::testing {

struct YoloResult {
  int code = -1;
  std::string output;  // stdout and stderr together
  bool has(const std::string& what) const { return output.find(what) != std::string::npos; }
};

class YoloRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("ys_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `prefix` runs first in the same shell (a `trap`, a `ulimit`), `wrapper` goes before the
  // binary (`prlimit --fsize=100`).
  YoloResult yolo(const std::string& args, const std::string& prefix = "",
                  const std::string& wrapper = "") {
    const std::string cmd = "cd '" + dir_.string() + "' && " + prefix + " " + wrapper +
                            " '" YS_YOLO_BINARY "' " + args + " 2>&1";
    YoloResult r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  std::filesystem::path dir_;
};

}  // namespace ys::testing
