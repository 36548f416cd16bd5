#include "backends/cpu/cpu_calibration.h"

#include "core/clock.h"

#if YS_HAVE_ONEDNN
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#endif

namespace ys {

namespace {
#if YS_HAVE_ONEDNN
// About 65 MFLOP, 0.6 ms on one core here: well inside a scheduler time slice, so that on a busy
// machine many runs still go uninterrupted and the fastest of them measure the machine, not its
// load. A 640^3 product (5 ms) was interrupted in nearly every run at a load of 6 on 2 cores.
constexpr int kSize = 320;
constexpr const char* kKind = "oneDNN sgemm ";
#else
constexpr int kSize = 128;
constexpr const char* kKind = "loop sgemm ";
#endif
}  // namespace

CpuCalibration::CpuCalibration()
    : n_(kSize),
      method_(std::string(kKind) + std::to_string(kSize) + "x" + std::to_string(kSize) + "x" +
              std::to_string(kSize)),
      a_(static_cast<size_t>(kSize) * kSize),
      b_(a_.size()),
      c_(a_.size()) {
  // Fixed, ordinary values: denormals or NaNs would time a different path.
  for (size_t i = 0; i < a_.size(); ++i) {
    a_[i] = static_cast<float>(i % 17) * 0.125f - 1.0f;
    b_[i] = static_cast<float>(i % 13) * 0.25f - 1.5f;
  }
  // The first product pays for oneDNN's kernel generation and first-touch memory (40 ms here).
  run_ms();
}

double CpuCalibration::run_ms() {
  const int64_t t0 = now_ns();
#if YS_HAVE_ONEDNN
  dnnl_sgemm('N', 'N', n_, n_, n_, 1.0f, a_.data(), n_, b_.data(), n_, 0.0f, c_.data(), n_);
#else
  const size_t n = static_cast<size_t>(n_);
  for (size_t i = 0; i < n; ++i) {
    float* c = &c_[i * n];
    for (size_t j = 0; j < n; ++j) c[j] = 0;
    for (size_t k = 0; k < n; ++k) {
      const float a = a_[i * n + k];
      const float* b = &b_[k * n];
      for (size_t j = 0; j < n; ++j) c[j] += a * b[j];
    }
  }
#endif
  return static_cast<double>(now_ns() - t0) / 1e6;
}

int CpuCalibration::threads() {
#if YS_HAVE_ONEDNN
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace ys
