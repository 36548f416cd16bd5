// Starts tests/share/s3_front.js (a loopback S3 that checks every SigV4 signature with AWS's own
// signer, storing through s3rver) for one test and stops it at the end. Its npm packages come
// from s3_front_setup.sh; without node or npm, start() returns the reason to skip.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace ys::testing {

class S3Front {
 public:
  static constexpr const char* kAccessKey = "AKIAYOLOSCOPETEST01";
  static constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYYOLOSCOPEKEY";
  static constexpr const char* kBucket = "reports";

  S3Front() = default;
  S3Front(const S3Front&) = delete;
  S3Front& operator=(const S3Front&) = delete;
  ~S3Front() { stop(); }

  // "" once listening (port() is set); otherwise why the test must skip or fail.
  std::string start(int fail_first = 0) {
    std::string modules;
    if (std::string skip = setup(modules); !skip.empty()) return skip;
    data_ = std::filesystem::temp_directory_path() / ("ys_s3_" + std::to_string(getpid()));
    std::filesystem::remove_all(data_);
    std::filesystem::create_directories(data_);
    int out[2];
    if (pipe(out) != 0) return "pipe failed";
    const std::string script = YS_SOURCE_DIR "/tests/share/s3_front.js";
    const std::string fail = std::to_string(fail_first);
    std::vector<std::string> argv = {
        "node",     script,     "--modules", modules,    "--data", data_.string(), "--access-key",
        kAccessKey, "--secret", kSecret,     "--bucket", kBucket,  "--fail-first", fail};
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp("node", args.data());
      _exit(127);
    }
    close(out[1]);
    FILE* in = fdopen(out[0], "r");
    std::array<char, 256> line{};
    const bool got = fgets(line.data(), line.size(), in) != nullptr;
    fclose(in);
    if (!got || std::sscanf(line.data(), "READY %d", &port_) != 1)
      return "s3_front.js did not start (node error on its stderr)";
    return "";
  }

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (!data_.empty()) std::filesystem::remove_all(data_);
  }

 private:
  static std::string setup(std::string& modules) {
    FILE* p = popen("bash '" YS_SOURCE_DIR "/tests/share/s3_front_setup.sh'", "r");
    if (!p) return "cannot run s3_front_setup.sh";
    std::array<char, 1024> buf{};
    std::string out;
    while (fgets(buf.data(), buf.size(), p)) out += buf.data();
    const int status = pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return out.empty() ? "setup failed" : out;
    modules = out;
    return "";
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path data_;
};

}  // namespace ys::testing
