// Runs the `yolo` binary in the background, in a scratch folder, with its stdout and stderr in a
// file, for tests that talk to it while it runs (/metrics, the dashboard, a Prometheus that scrapes
// it). The destructor ends it with SIGTERM (SIGKILL after a grace period) and reaps it.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace ys::testing {

// A port that was free a moment ago on 127.0.0.1 (the kernel's pick for port 0).
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class BackgroundProcess {
 public:
  // Runs `command` with /bin/sh in `dir`; its output goes to dir/<log_name>.
  BackgroundProcess(const std::filesystem::path& dir, const std::string& command,
                    const std::string& log_name = "output.txt")
      : log_(dir / log_name) {
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      const std::string cmd =
          "cd '" + dir.string() + "' && exec " + command + " > '" + log_.string() + "' 2>&1";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~BackgroundProcess() { stop(SIGTERM); }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  std::string output() const { return read_text(log_); }
  bool running() {
    if (code_) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    return true;
  }
  // Waits up to `seconds` for `text` in the output; false when it did not come (or it exited).
  bool wait_for_output(const std::string& text, double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (output().find(text) != std::string::npos) return true;
      if (!running()) return output().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Waits up to `seconds` for the exit; its code, or nullopt while it still runs.
  std::optional<int> wait_exit(double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (running() && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return code_;
  }
  // Sends `sig` and waits for the exit (SIGKILL after `grace_s`); the exit code.
  std::optional<int> stop(int sig, double grace_s = 20) {
    if (pid_ <= 0 || !running()) return code_;
    kill(pid_, sig);
    if (!wait_exit(grace_s)) {
      kill(-pid_, SIGKILL);
      wait_exit(5);
    }
    return code_;
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::optional<int> code_;
};

}  // namespace ys::testing
