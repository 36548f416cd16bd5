// Test-only fake devices for the device-pool tests: a Backend decorator over the CPU backend
// that waits a set time in every forward and can throw on its Nth, so that the pool's
// scheduling, ordering and failure handling run without a GPU. It is never registered with
// make_backend: only these tests construct it.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "pipeline/detector.h"
#include "pipeline/detector_pool.h"
#include "runtime/backend.h"

namespace ys::testing {

struct FakeDeviceSpec {
  std::string name;
  int delay_ms = 0;  // added to every forward
  int fail_at = 0;   // the forward (1-based) that throws; 0: none
};

class FakeDeviceBackend final : public Backend {
 public:
  explicit FakeDeviceBackend(FakeDeviceSpec spec)
      : spec_(std::move(spec)), cpu_(make_cpu_backend({.threads = 1})) {}

  std::string name() const override { return "fake:" + spec_.name; }
  DeviceKind device() const override { return DeviceKind::kCpu; }
  bool supports(const Graph& g, const Node& n) const override { return cpu_->supports(g, n); }
  void prepare(Graph& g) override { cpu_->prepare(g); }
  std::unique_ptr<Kernel> create_kernel(const Graph& g, const Node& n,
                                        const std::vector<Tensor>& in,
                                        const std::vector<Tensor>& out) override {
    // The first kernel made is the first one run: one delay and one count per forward.
    const bool gate = !gate_made_;
    gate_made_ = true;
    return std::make_unique<GatedKernel>(cpu_->create_kernel(g, n, in, out), gate ? this : nullptr);
  }
  void* allocate(size_t bytes) override { return cpu_->allocate(bytes); }
  void deallocate(void* p) override { cpu_->deallocate(p); }
  void copy_to_device(void* d, const void* s, size_t n) override { cpu_->copy_to_device(d, s, n); }
  void copy_to_host(void* d, const void* s, size_t n) override { cpu_->copy_to_host(d, s, n); }

 private:
  class GatedKernel final : public Kernel {
   public:
    GatedKernel(std::unique_ptr<Kernel> inner, FakeDeviceBackend* gate)
        : inner_(std::move(inner)), gate_(gate) {}
    void run() override {
      if (gate_) gate_->forward_begins();
      inner_->run();
    }

   private:
    std::unique_ptr<Kernel> inner_;
    FakeDeviceBackend* gate_;
  };

  void forward_begins() {
    ++forwards_;
    if (spec_.fail_at > 0 && forwards_ == spec_.fail_at)
      throw std::runtime_error("fake device " + spec_.name + " lost (Xid 79)");
    if (spec_.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(spec_.delay_ms));
  }

  FakeDeviceSpec spec_;
  std::shared_ptr<Backend> cpu_;
  bool gate_made_ = false;
  int forwards_ = 0;
};

inline std::unique_ptr<Detector> fake_device_detector(const DetectorOptions& options,
                                                      FakeDeviceSpec spec) {
  DetectorOptions o = options;
  o.device = spec.name;
  return std::make_unique<Detector>(o, std::make_shared<FakeDeviceBackend>(std::move(spec)));
}

// A pool of fake devices, one detector of `options` each, named as their specs.
inline DetectorPool fake_pool(const DetectorOptions& options,
                              const std::vector<FakeDeviceSpec>& specs) {
  std::vector<std::unique_ptr<Detector>> dets;
  std::vector<std::string> names;
  for (const FakeDeviceSpec& s : specs) {
    dets.push_back(fake_device_detector(options, s));
    names.push_back(s.name);
  }
  return DetectorPool(std::move(dets), std::move(names));
}

}  // namespace ys::testing
