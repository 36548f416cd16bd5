// NVML sampling on a background thread. libnvidia-ml is loaded with dlopen, so a machine without
// the NVIDIA driver (CI, a laptop) builds and runs the same binary: the sampler then reports
// itself unavailable and why, and never fails. Readings NVML gives that cannot be right (a
// utilisation above 100%, a temperature of 0) are dropped from the sample rather than reported.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "profiler/gpu_trace.h"
#include "profiler/periodic_sampler.h"

namespace ys {

class NvmlSampler {
 public:
  using OnTick = std::function<void(const std::vector<NvmlSample>&)>;

  // Samples `devices` (CUDA/NVML indices) every `period_ms` until stop(). With `on_tick`, each
  // tick's readings go to it on the sampler's thread and none is kept: a live gauge needs only
  // the last one, and a run of weeks must not grow a history.
  NvmlSampler(std::vector<int> devices, int period_ms,
              const std::string& library = "libnvidia-ml.so.1", OnTick on_tick = {});
  ~NvmlSampler();
  NvmlSampler(const NvmlSampler&) = delete;
  NvmlSampler& operator=(const NvmlSampler&) = delete;

  bool available() const { return available_; }
  const std::string& why() const { return why_; }  // why it is unavailable
  void stop() { sampler_.stop(); }
  std::vector<NvmlSample> samples() const { return sampler_.samples(); }

 private:
  struct Library;

  std::unique_ptr<Library> lib_;
  std::vector<int> devices_;
  bool available_ = false;
  std::string why_;
  // Last, so that its thread, which reads lib_, is joined before lib_ is unloaded.
  PeriodicSampler<NvmlSample> sampler_;
};

// Drops what NVML cannot have meant: utilisations outside 0-100%, zero or absurd temperatures
// and clocks, negative power. Exposed for tests.
NvmlSample sanitize_nvml_sample(NvmlSample s);

}  // namespace ys
