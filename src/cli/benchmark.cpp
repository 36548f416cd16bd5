// `yolo benchmark`: measures the pipeline frame by frame (BenchmarkRun), prints the per-stage
// table and writes the benchmark file that `yolo compare` reads (docs/BENCHMARK.md).
#include <iostream>

#include "cli/benchmark_run.h"
#include "cli/commands.h"
#include "core/startup_timeline.h"
#include "report/benchmark_file.h"
#include "report/benchmark_report.h"

namespace ys {

int run_benchmark(const Config& c) {
  const std::string out = c.get_string("out").empty() ? "benchmark.json" : c.get_string("out");
  const int setup_phase = process_startup().begin("benchmark_setup");
  BenchmarkRun run(c, "benchmark");
  process_startup().end(setup_phase);
  std::cout << "YoloScope benchmark: " << run.describe() << ", " << c.get_int("frames")
            << " frames after " << kBenchmarkWarmupFrames << " warm-up frames\n";
  // The first frame (a warm-up frame) ends the start-up the table's last line breaks down.
  const int first_frame_phase = process_startup().begin("first_frame");
  const bool more = !g_stop_requested && run.step();
  process_startup().end(first_frame_phase);
  process_startup().first_result();
  while (more && !g_stop_requested && run.step()) {
  }
  const BenchmarkRecord record = run.finish();
  std::cout << benchmark_console_table(record);
  if (const std::string line = startup_line(process_startup().breakdown()); !line.empty())
    std::cout << line << "\n";
  for (const std::string& n : record.notes) std::cout << "Note: " << n << "\n";
  write_benchmark_file(out, record);
  std::cout << "Saved " << out << "\n";
  return g_stop_requested ? kExitInterrupted : kExitOk;
}

}  // namespace ys
