// One benchmarked configuration, frame by frame: a Detector with the Profiler attached, fed by
// its own source, timing every pipeline stage of every frame and each model layer (CPU) on the
// frames whose ops the profiler traces, with the calibration (backends/cpu/cpu_calibration.h)
// run between frames. Frames are driven one at a time so that `yolo compare a=... b=...` can
// alternate two of these in one process, both sides sharing the machine's state.
//
// Test hooks, for the planted-regression tests and nothing else: the environment variables
// YOLOSCOPE_TEST_SLOW_LAYER=<layer>:<fraction> (e.g. "C2f #2:0.2") and
// YOLOSCOPE_TEST_SLOW_PREPROCESS=<fraction> make that layer, or preprocessing, take `fraction`
// longer by spinning after it; with YOLOSCOPE_TEST_HOOK_SIDE=b only side b of an A/B run is
// slowed (docs/BENCHMARK.md).
#pragma once

#include <memory>
#include <string>

#include "analysis/benchmark_compare.h"
#include "cli/args.h"

namespace ys {

class BenchmarkRun {
 public:
  // Loads the model and opens the source from `c` (model, source, imgsz, batch, half, device,
  // threads, frames, ...), and warms the detector up. `label` names the side in messages.
  BenchmarkRun(const Config& c, std::string label);
  ~BenchmarkRun();
  BenchmarkRun(const BenchmarkRun&) = delete;
  BenchmarkRun& operator=(const BenchmarkRun&) = delete;

  // Runs the next frame (a batch); false once `frames` are measured or the source has ended.
  bool step();
  bool done() const;
  // The record of the frames measured so far; call once, at the end.
  BenchmarkRecord finish();
  // "yolov8n.yaml on cpu (2 threads), 320x320, batch 1".
  std::string describe() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Frames the benchmark runs unmeasured after the detector's warm-up batch, so the first measured
// frame finds caches, oneDNN's primitives and the thread pool as every later one does.
inline constexpr int kBenchmarkWarmupFrames = 5;

}  // namespace ys
