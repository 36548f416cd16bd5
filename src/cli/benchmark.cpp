// `yolo benchmark`: measures the pipeline frame by frame (BenchmarkRun), prints the per-stage
// table and writes the benchmark file that `yolo compare` reads (docs/BENCHMARK.md).
#include <iostream>

#include "cli/benchmark_run.h"
#include "cli/commands.h"
#include "report/benchmark_file.h"
#include "report/benchmark_report.h"

namespace ys {

int run_benchmark(const Config& c) {
  const std::string out = c.get_string("out").empty() ? "benchmark.json" : c.get_string("out");
  BenchmarkRun run(c, "benchmark");
  std::cout << "YoloScope benchmark: " << run.describe() << ", " << c.get_int("frames")
            << " frames after " << kBenchmarkWarmupFrames << " warm-up frames\n";
  while (!g_stop_requested && run.step()) {
  }
  const BenchmarkRecord record = run.finish();
  std::cout << benchmark_console_table(record);
  for (const std::string& n : record.notes) std::cout << "Note: " << n << "\n";
  write_benchmark_file(out, record);
  std::cout << "Saved " << out << "\n";
  return g_stop_requested ? kExitInterrupted : kExitOk;
}

}  // namespace ys
