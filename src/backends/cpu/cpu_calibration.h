// The benchmark's yardstick: a fixed single-precision matrix product, timed between frames, so
// that a baseline measured on one machine can be compared on another by the ratio of the two
// runs' yardsticks. It runs oneDNN's sgemm (a system library, not this project's kernels, so a
// change to our code never moves it) with the calling thread's OpenMP thread count, which the CPU
// backend has set to the inference's. It is short, so that its fastest runs measure the machine's
// speed rather than its load. Without oneDNN it is a plain loop nest, and its method string says
// so (ratios only compare like with like).
#pragma once

#include <string>
#include <vector>

namespace ys {

class CpuCalibration {
 public:
  CpuCalibration();
  // "oneDNN sgemm 320x320x320" or "loop sgemm 160x160x160".
  const std::string& method() const { return method_; }
  // Runs the product once and returns its wall time in milliseconds.
  double run_ms();
  // The calling thread's OpenMP thread count (the inference's, once a CPU backend has run on it);
  // 1 without oneDNN.
  static int threads();

 private:
  int n_;
  std::string method_;
  std::vector<float> a_, b_, c_;
};

}  // namespace ys
