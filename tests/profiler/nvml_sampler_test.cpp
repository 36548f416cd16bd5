// The NVML sampler without a GPU: a missing or wrong library, a failing init, and a fake
// libnvidia-ml (fake_nvml.cpp) whose readings include nonsense the sampler must drop.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "core/clock.h"
#include "profiler/nvml_sampler.h"

namespace ys {
namespace {

using namespace std::chrono_literals;

// Keeps the fake library loaded across a sampler's life, to read its init count afterwards.
class FakeNvml {
 public:
  FakeNvml() : handle_(dlopen(YS_FAKE_NVML, RTLD_NOW | RTLD_LOCAL)) {}
  ~FakeNvml() {
    if (handle_) dlclose(handle_);
  }
  FakeNvml(const FakeNvml&) = delete;
  FakeNvml& operator=(const FakeNvml&) = delete;
  bool loaded() const { return handle_ != nullptr; }
  int init_count() const {
    auto f = reinterpret_cast<int (*)()>(dlsym(handle_, "fake_nvml_init_count"));
    return f ? f() : -1;
  }

 private:
  void* handle_;
};

// Up to 30 s: a loaded CI machine can leave the sampler's thread unscheduled for a while.
std::vector<NvmlSample> wait_for_samples(const NvmlSampler& s, size_t n) {
  for (int i = 0; i < 6000 && s.samples().size() < n; ++i) std::this_thread::sleep_for(5ms);
  return s.samples();
}

TEST(NvmlSampler, MissingLibraryIsUnavailableAndNamesIt) {
  NvmlSampler s({0}, 10, "libnvidia-ml-absent.so.1");
  EXPECT_FALSE(s.available());
  EXPECT_NE(s.why().find("libnvidia-ml-absent.so.1"), std::string::npos) << s.why();
  s.stop();
  EXPECT_TRUE(s.samples().empty());
}

TEST(NvmlSampler, LibraryWithoutNvmlIsUnavailable) {
  NvmlSampler s({0}, 10, "libm.so.6");
  EXPECT_FALSE(s.available());
  EXPECT_NE(s.why().find("nvmlInit_v2"), std::string::npos) << s.why();
}

TEST(NvmlSampler, DefaultLibraryNeverFails) {
  NvmlSampler s({0}, 10);
  if (!s.available()) {
    // Machines without the NVIDIA driver, as CI: the reason names the library.
    EXPECT_NE(s.why().find("libnvidia-ml.so.1"), std::string::npos) << s.why();
    EXPECT_TRUE(s.samples().empty());
    return;
  }
  const auto samples = wait_for_samples(s, 2);
  s.stop();
  ASSERT_GE(samples.size(), 2u);
  for (const NvmlSample& x : samples) {
    EXPECT_EQ(x.device, 0);
    EXPECT_LE(x.gpu_util_pct.value_or(0), 100.0);
    EXPECT_GE(x.mem_total_bytes.value_or(1), 1);
  }
}

TEST(NvmlSampler, FakeLibraryGivesSanitisedSamplesAndShutsDown) {
  FakeNvml fake;
  ASSERT_TRUE(fake.loaded()) << YS_FAKE_NVML;
  const int64_t before = now_ns();
  {
    NvmlSampler s({0}, 5, YS_FAKE_NVML);
    ASSERT_TRUE(s.available()) << s.why();
    EXPECT_TRUE(s.why().empty());
    EXPECT_EQ(fake.init_count(), 1);
    wait_for_samples(s, 3);
    s.stop();
    const int64_t after = now_ns();
    const auto samples = s.samples();
    ASSERT_GE(samples.size(), 3u);
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(s.samples().size(), samples.size()) << "sampling went on after stop()";
    int64_t last = 0;
    for (const NvmlSample& x : samples) {
      EXPECT_EQ(x.device, 0);
      EXPECT_GE(x.t_ns, before);
      EXPECT_LE(x.t_ns, after);
      EXPECT_GE(x.t_ns, last);
      last = x.t_ns;
      EXPECT_FALSE(x.gpu_util_pct) << "256% must be dropped";
      ASSERT_TRUE(x.mem_util_pct);
      EXPECT_EQ(*x.mem_util_pct, 40.0);
      ASSERT_TRUE(x.mem_used_bytes && x.mem_total_bytes);
      EXPECT_EQ(*x.mem_used_bytes, int64_t{1} << 30);
      EXPECT_EQ(*x.mem_total_bytes, int64_t{80} << 30);
      ASSERT_TRUE(x.sm_clock_mhz && x.mem_clock_mhz);
      EXPECT_EQ(*x.sm_clock_mhz, 1980.0);
      EXPECT_EQ(*x.mem_clock_mhz, 2619.0);
      EXPECT_FALSE(x.temperature_c) << "0 C must be dropped";
      ASSERT_TRUE(x.power_w);
      EXPECT_DOUBLE_EQ(*x.power_w, 350.5);
      EXPECT_FALSE(x.power_limit_w) << "the call failed";
      ASSERT_TRUE(x.throttle_reasons) << "the ThrottleReasons fallback was not used";
      EXPECT_EQ(*x.throttle_reasons, 0x1004u);
      ASSERT_TRUE(x.pcie_tx_kbs && x.pcie_rx_kbs);
      EXPECT_EQ(*x.pcie_rx_kbs, 12e6);
      ASSERT_EQ(x.processes.size(), 2u);
      EXPECT_EQ(x.processes[0].pid, 1);
      EXPECT_FALSE(x.processes[0].comm.empty()) << "read from /proc/1/comm";
      EXPECT_EQ(x.processes[0].memory_bytes, int64_t{2} << 30);
      ASSERT_TRUE(x.processes[0].sm_util_pct);
      EXPECT_EQ(*x.processes[0].sm_util_pct, 55.0);
      EXPECT_FALSE(x.processes[1].sm_util_pct);
    }
  }
  EXPECT_EQ(fake.init_count(), 0) << "nvmlShutdown was not called";
}

TEST(NvmlSampler, SamplesOnlyTheDevicesNvmlHas) {
  NvmlSampler some({0, 3}, 5, YS_FAKE_NVML);
  ASSERT_TRUE(some.available()) << some.why();
  const auto samples = wait_for_samples(some, 2);
  some.stop();
  ASSERT_FALSE(samples.empty());
  for (const NvmlSample& x : samples) EXPECT_EQ(x.device, 0);

  NvmlSampler none({3}, 5, YS_FAKE_NVML);
  EXPECT_FALSE(none.available());
  EXPECT_NE(none.why().find("device 3"), std::string::npos) << none.why();
  EXPECT_NE(none.why().find("Invalid Argument"), std::string::npos) << none.why();

  NvmlSampler empty({}, 5, YS_FAKE_NVML);
  EXPECT_FALSE(empty.available());
  EXPECT_FALSE(empty.why().empty());
}

TEST(NvmlSampler, FailingInitIsUnavailableWithNvmlsReason) {
  FakeNvml fake;
  ASSERT_TRUE(fake.loaded());
  setenv("FAKE_NVML_INIT_ERROR", "9", 1);
  {
    NvmlSampler s({0}, 5, YS_FAKE_NVML);
    unsetenv("FAKE_NVML_INIT_ERROR");
    EXPECT_FALSE(s.available());
    EXPECT_NE(s.why().find("Driver Not Loaded"), std::string::npos) << s.why();
  }
  EXPECT_EQ(fake.init_count(), 0) << "a failed init must not be shut down";
}

TEST(NvmlSampler, StopReturnsPromptlyWithinALongPeriod) {
  NvmlSampler s({0}, 60000, YS_FAKE_NVML);
  ASSERT_TRUE(s.available()) << s.why();
  wait_for_samples(s, 1);
  const auto t0 = std::chrono::steady_clock::now();
  s.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s) << "stop() waited out the 60 s period";
  EXPECT_EQ(s.samples().size(), 1u);
}

TEST(SanitizeNvmlSample, DropsWhatCannotBeRightAndKeepsTheRest) {
  NvmlSample good;
  good.gpu_util_pct = 100;
  good.mem_util_pct = 0;
  good.mem_used_bytes = 10;
  good.mem_total_bytes = 100;
  good.sm_clock_mhz = 1980;
  good.mem_clock_mhz = 2619;
  good.temperature_c = 45;
  good.power_w = 0;
  good.power_limit_w = 700;
  good.throttle_reasons = 0x4;
  const NvmlSample kept = sanitize_nvml_sample(good);
  EXPECT_EQ(kept.gpu_util_pct, 100.0);
  EXPECT_EQ(kept.mem_util_pct, 0.0);
  EXPECT_EQ(kept.mem_used_bytes, 10);
  EXPECT_EQ(kept.mem_total_bytes, 100);
  EXPECT_EQ(kept.sm_clock_mhz, 1980.0);
  EXPECT_EQ(kept.temperature_c, 45.0);
  EXPECT_EQ(kept.power_w, 0.0);
  EXPECT_EQ(kept.power_limit_w, 700.0);
  EXPECT_EQ(kept.throttle_reasons, 0x4u);

  NvmlSample bad;
  bad.gpu_util_pct = 256;
  bad.mem_util_pct = -1;
  bad.mem_used_bytes = 200;  // more than the total
  bad.mem_total_bytes = 100;
  bad.sm_clock_mhz = 0;
  bad.mem_clock_mhz = 1e6;
  bad.temperature_c = 0;
  bad.power_w = -5;
  bad.power_limit_w = 0;
  const NvmlSample dropped = sanitize_nvml_sample(bad);
  EXPECT_FALSE(dropped.gpu_util_pct);
  EXPECT_FALSE(dropped.mem_util_pct);
  EXPECT_FALSE(dropped.mem_used_bytes);
  EXPECT_EQ(dropped.mem_total_bytes, 100);
  EXPECT_FALSE(dropped.sm_clock_mhz);
  EXPECT_FALSE(dropped.mem_clock_mhz);
  EXPECT_FALSE(dropped.temperature_c);
  EXPECT_FALSE(dropped.power_w);
  EXPECT_FALSE(dropped.power_limit_w);

  NvmlSample odd;
  odd.gpu_util_pct = std::nan("");
  odd.temperature_c = 400;
  odd.mem_total_bytes = 0;
  odd.mem_used_bytes = 5;
  const NvmlSample cleaned = sanitize_nvml_sample(odd);
  EXPECT_FALSE(cleaned.gpu_util_pct);
  EXPECT_FALSE(cleaned.temperature_c);
  EXPECT_FALSE(cleaned.mem_total_bytes);
  EXPECT_EQ(cleaned.mem_used_bytes, 5) << "a used figure needs no total to be plausible";
}

}  // namespace
}  // namespace ys
