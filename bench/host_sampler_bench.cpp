// The /proc host sampler's cost (issue 15), two ways. (1) CPU time per reading on this machine's
// process table, from the reading thread's own clock: deterministic, what the sampler costs
// wherever it runs. (2) Paired A/B throughput: a CPU-bound load on every core, in rounds with the
// sampler off and on in ABBA order so that drifting machine noise hits both alike; each pair's
// difference, their median and range. On a shared machine (2) is noisy; (1) says what to expect.
//
//   yolo_bench_host_sampler [readings=300] [pairs=6] [round_s=5] [period_ms=100]
#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "profiler/host_sampler.h"

namespace {

int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int count_entries(const char* dir) {
  int n = 0;
  if (DIR* d = opendir(dir)) {
    while (dirent* e = readdir(d)) n += e->d_name[0] >= '0' && e->d_name[0] <= '9';
    closedir(d);
  }
  return n;
}

// Work units done by every core in `seconds`, with or without a sampler beside them; the
// sampler's own CPU share (of one core) into `cost_pct`.
double load_round(double seconds, int period_ms, bool with_sampler, double& cost_pct) {
  std::unique_ptr<ys::HostSampler> sampler;
  if (with_sampler) sampler = std::make_unique<ys::HostSampler>(period_ms, 10);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<bool> stop{false};
  std::vector<uint64_t> units(cores, 0);
  std::vector<std::thread> workers;
  for (unsigned c = 0; c < cores; ++c)
    workers.emplace_back([&, c] {
      volatile double x = 1.0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 20000; ++i) x = x * 1.0000001 + 1e-9;
        ++units[c];
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& w : workers) w.join();
  if (sampler) cost_pct = sampler->cost_pct();
  double total = 0;
  for (uint64_t u : units) total += static_cast<double>(u);
  return total;
}

int arg(int argc, char** argv, const char* key, int fallback) {
  const size_t n = std::strlen(key);
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') return std::atoi(argv[i] + n + 1);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int readings = std::max(10, arg(argc, argv, "readings", 300));
  const int pairs = std::max(1, arg(argc, argv, "pairs", 6));
  const int round_s = std::max(1, arg(argc, argv, "round_s", 5));
  const int period_ms = std::max(10, arg(argc, argv, "period_ms", 100));

  ys::HostSampler by_hand(0, 10);
  ys::HostSample s;
  by_hand.read(s);
  std::vector<double> us;
  for (int i = 0; i < readings; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const int64_t t0 = thread_cpu_ns();
    by_hand.read(s);
    us.push_back(static_cast<double>(thread_cpu_ns() - t0) / 1e3);
  }
  std::sort(us.begin(), us.end());
  const auto q = [&](double f) { return us[static_cast<size_t>(f * (us.size() - 1))]; };
  std::printf("processes %d, our threads %d, cores %u\n", count_entries("/proc"),
              count_entries("/proc/self/task"), std::thread::hardware_concurrency());
  std::printf("reading: median %.0f us CPU (p10 %.0f, p90 %.0f) -> %.2f%% of one core at %d ms\n",
              q(0.5), q(0.1), q(0.9), q(0.5) / (10.0 * period_ms), period_ms);

  std::vector<double> diffs;
  for (int p = 0; p < pairs; ++p) {
    // ABBA: the order alternates so that a trend in the machine's load cancels.
    const bool on_first = p % 2 == 1;
    double cost = 0;
    const double a = load_round(round_s, period_ms, on_first, cost);
    const double b = load_round(round_s, period_ms, !on_first, cost);
    const double off = on_first ? b : a, on = on_first ? a : b;
    diffs.push_back(100.0 * (off - on) / off);
    std::printf(
        "pair %d: off %.0f, on %.0f units: sampler costs %+.2f%% (its thread: %.2f%% of "
        "one core under the load)\n",
        p + 1, off, on, diffs.back(), cost);
  }
  std::sort(diffs.begin(), diffs.end());
  std::printf("A/B over %d pairs of %d s: median %+.2f%%, range %+.2f%% .. %+.2f%%\n", pairs,
              round_s, diffs[diffs.size() / 2], diffs.front(), diffs.back());
  return 0;
}
