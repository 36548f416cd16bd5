#include "cli/interrupt.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "core/error.h"

namespace ys {

std::atomic<bool> g_stop_requested{false};

namespace {

// The handler's only way to the watcher: write() is async-signal-safe, a mutex is not.
int g_signal_pipe[2] = {-1, -1};

std::mutex g_mutex;
std::map<size_t, std::function<void()>> g_wakes;
size_t g_next_id = 0;
bool g_woken = false;

extern "C" void on_signal(int sig) {
  if (g_stop_requested.exchange(true)) {
    static const char kMessage[] = "yolo: second signal: stopping now\n";
    if (::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1) < 0) {
      // Nothing to do: the process ends either way.
    }
    ::_exit(128 + sig);
  }
  const char byte = 1;
  if (::write(g_signal_pipe[1], &byte, 1) < 0) {
    // The flag is set; only the wake-ups are lost, and the pipe is empty until now.
  }
}

void watch() {
  char byte;
  while (::read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  std::cerr << "yolo: stopping; finished outputs are kept. A second Ctrl+C or SIGTERM ends at "
               "once\n";
  std::lock_guard<std::mutex> lock(g_mutex);
  g_woken = true;
  for (auto& [id, wake] : g_wakes) wake();
}

}  // namespace

void install_interrupt_handlers() {
  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0)
    fail(ErrorKind::kIo, "cannot create the signal pipe: ", std::strerror(errno));
  std::thread(watch).detach();
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

OnInterrupt::OnInterrupt(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_woken) wake();
  id_ = g_next_id++;
  g_wakes.emplace(id_, std::move(wake));
}

OnInterrupt::~OnInterrupt() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_wakes.erase(id_);
}

}  // namespace ys
