// Headless Chromium driven through its DevTools protocol over a pipe (--remote-debugging-pipe:
// NUL-terminated JSON on file descriptors 3 and 4), so a test can keep one page open and read it
// in real time: --dump-dom reads a page once at load, and --virtual-time-budget runs its timers on
// a virtual clock, neither of which is a person watching a live page. Needs only /usr/bin/chromium.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace ys::testing {

class CdpBrowser {
 public:
  // Starts Chromium with its profile in `profile_dir` and opens one blank page.
  explicit CdpBrowser(const std::filesystem::path& profile_dir) {
    std::filesystem::create_directories(profile_dir);
    int to_chrome[2], from_chrome[2];
    if (pipe(to_chrome) != 0 || pipe(from_chrome) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      // Chromium reads commands on fd 3 and writes answers on fd 4.
      dup2(to_chrome[0], 3);
      dup2(from_chrome[1], 4);
      for (int fd : {to_chrome[0], to_chrome[1], from_chrome[0], from_chrome[1]})
        if (fd > 4) close(fd);
      // Its log (D-Bus complaints in a container) goes beside its profile, not into the test's.
      const std::string log = (profile_dir / "chromium.log").string();
      const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log_fd >= 0) {
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        if (log_fd > 4) close(log_fd);
      }
      const std::string profile = "--user-data-dir=" + profile_dir.string();
      execl("/usr/bin/chromium", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-quic", "--remote-debugging-pipe",
            "--window-size=1300,1500", profile.c_str(), "about:blank", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_chrome[0]);
    close(from_chrome[1]);
    out_ = to_chrome[1];
    in_ = from_chrome[0];
    const nlohmann::json target = call("Target.createTarget", {{"url", "about:blank"}}, false);
    const std::string id = target.value("targetId", "");
    if (id.empty()) return;
    const nlohmann::json attached =
        call("Target.attachToTarget", {{"targetId", id}, {"flatten", true}}, false);
    session_ = attached.value("sessionId", "");
  }
  ~CdpBrowser() {
    if (out_ >= 0) close(out_);
    if (in_ >= 0) close(in_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  CdpBrowser(const CdpBrowser&) = delete;
  CdpBrowser& operator=(const CdpBrowser&) = delete;

  bool ok() const { return !session_.empty(); }

  // A command to the page (or, with on_page false, to the browser); its result, or an object
  // with "error" when it failed or Chromium did not answer within 30 s.
  nlohmann::json call(const std::string& method,
                      const nlohmann::json& params = nlohmann::json::object(),
                      bool on_page = true) {
    const int id = ++next_id_;
    nlohmann::json msg = {{"id", id}, {"method", method}, {"params", params}};
    if (on_page) msg["sessionId"] = session_;
    std::string text = msg.dump();
    text.push_back('\0');
    if (write(out_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      return {{"error", "cannot write to Chromium"}};
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
      const size_t nul = buffer_.find('\0');
      if (nul == std::string::npos) {
        pollfd p{in_, POLLIN, 0};
        if (poll(&p, 1, 1000) <= 0) continue;
        char buf[65536];
        const ssize_t n = read(in_, buf, sizeof buf);
        if (n <= 0) return {{"error", "Chromium closed the pipe"}};
        buffer_.append(buf, static_cast<size_t>(n));
        continue;
      }
      const nlohmann::json reply = nlohmann::json::parse(buffer_.substr(0, nul), nullptr, false);
      buffer_.erase(0, nul + 1);
      if (reply.is_discarded() || reply.value("id", -1) != id) continue;  // an event, or another
      if (reply.contains("error")) return {{"error", reply["error"].dump()}};
      return reply.value("result", nlohmann::json::object());
    }
    return {{"error", "no answer from Chromium within 30 s"}};
  }

  // The value of a JavaScript expression in the page (returned by value).
  nlohmann::json evaluate(const std::string& expression) {
    const nlohmann::json r =
        call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}});
    return r.contains("result") ? r["result"].value("value", nlohmann::json()) : nlohmann::json();
  }

  // Writes the page as it looks now, whole, to a PNG file.
  bool screenshot(const std::filesystem::path& png) {
    const nlohmann::json r =
        call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
    if (!r.contains("data")) return false;
    std::ofstream(png, std::ios::binary) << base64_decode(r["data"].get<std::string>());
    return true;
  }

 private:
  static std::string base64_decode(const std::string& in) {
    std::string out;
    int bits = 0, value = 0;
    for (char c : in) {
      int d;
      if (c >= 'A' && c <= 'Z')
        d = c - 'A';
      else if (c >= 'a' && c <= 'z')
        d = c - 'a' + 26;
      else if (c >= '0' && c <= '9')
        d = c - '0' + 52;
      else if (c == '+')
        d = 62;
      else if (c == '/')
        d = 63;
      else
        continue;  // padding
      value = (value << 6) | d;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<char>((value >> bits) & 0xff));
      }
    }
    return out;
  }

  pid_t pid_ = -1;
  int out_ = -1, in_ = -1;
  int next_id_ = 0;
  std::string session_;
  std::string buffer_;
};

}  // namespace ys::testing
