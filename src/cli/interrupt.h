// SIGINT and SIGTERM for the `yolo` command. The first asks the run to stop: g_stop_requested is
// set, and the wake-ups registered with OnInterrupt run (on a thread of their own, since the
// signal handler may only do async-signal-safe things), so that a read that blocks, such as a
// stalled producer on source=-, gives up and the run ends within moments, keeping its finished
// outputs. A second signal ends the process at once, with exit code 128 + the signal's number.
#pragma once

#include <cstddef>
#include <functional>

namespace ys {

// Once, at start-up, before other threads exist.
void install_interrupt_handlers();

// Registers `wake` for the first signal while this object lives; runs it at once when that
// signal has come already. `wake` runs on the signal-watching thread.
class OnInterrupt {
 public:
  explicit OnInterrupt(std::function<void()> wake);
  ~OnInterrupt();
  OnInterrupt(const OnInterrupt&) = delete;
  OnInterrupt& operator=(const OnInterrupt&) = delete;

 private:
  size_t id_;
};

}  // namespace ys
