// A planted fault for the long-run tests: busies `threads` threads for `burst_ms` every
// `period_ms`, on a fixed wall-clock grid, until killed. Prints its pid first, so a test can check
// that the blame names it. Usage: burst_sidecar <period_ms> <burst_ms> <threads>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: burst_sidecar <period_ms> <burst_ms> <threads>\n");
    return 2;
  }
  const auto period = std::chrono::milliseconds(std::atoi(argv[1]));
  const auto burst = std::chrono::milliseconds(std::atoi(argv[2]));
  const int threads = std::max(1, std::atoi(argv[3]));
  std::printf("burst_sidecar pid %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  using Clock = std::chrono::steady_clock;
  auto next = Clock::now() + period;
  for (;;) {
    std::this_thread::sleep_until(next);
    const auto until = next + burst;
    std::vector<std::thread> workers;
    std::atomic<unsigned> sink{0};
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        unsigned x = 1;
        while (Clock::now() < until) x = x * 1664525u + 1013904223u;
        sink += x;
      });
    }
    for (std::thread& w : workers) w.join();
    next += period;
  }
}
