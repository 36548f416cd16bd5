#include "analysis/gpu_memory.h"

#include <gtest/gtest.h>

#include <cmath>

#include "backends/cpu/cpu_backend.h"
#include "model/builtin_models.h"
#include "model/prepare.h"

namespace ys {
namespace {

constexpr int64_t kMiB = 1024 * 1024;
constexpr int kOurs = 1000;

NvmlSample sample(int64_t t_ms, int64_t used_mib, std::vector<NvmlSample::Process> procs,
                  int device = 0) {
  NvmlSample s;
  s.t_ns = t_ms * 1000000;
  s.device = device;
  s.mem_used_bytes = used_mib * kMiB;
  s.processes = std::move(procs);
  return s;
}

TEST(GpuMemory, SplitsOursFromOtherProcessesAndNamesThem) {
  const std::vector<NvmlSample> samples = {
      sample(0, 1500, {{kOurs, "yolo", 1024 * kMiB, {}}}),
      sample(10, 5600, {{kOurs, "yolo", 1024 * kMiB, {}}, {4242, "python3", 4096 * kMiB, {}}}),
      sample(20, 2600,
             {{kOurs, "yolo", 1024 * kMiB, {}},
              {4242, "python3", 512 * kMiB, {}},
              {77, "", 1024 * kMiB, {}}}),
      sample(30, 1600, {}),  // NVML listed nothing: ours and others unknown
  };
  const auto tl = gpu_memory_over_time(samples, kOurs, 0);
  ASSERT_EQ(tl.size(), 1u);
  ASSERT_EQ(tl[0].points.size(), 4u);
  EXPECT_EQ(tl[0].samples, 4);
  EXPECT_DOUBLE_EQ(tl[0].points[1].used_mib, 5600);
  EXPECT_DOUBLE_EQ(tl[0].points[1].ours_mib, 1024);
  EXPECT_DOUBLE_EQ(tl[0].points[1].others_mib, 4096);
  EXPECT_DOUBLE_EQ(tl[0].points[2].others_mib, 1536);
  EXPECT_DOUBLE_EQ(tl[0].points[0].others_mib, 0) << "a list with only us: no one else";
  EXPECT_TRUE(std::isnan(tl[0].points[3].ours_mib));
  EXPECT_TRUE(std::isnan(tl[0].points[3].others_mib));
  EXPECT_DOUBLE_EQ(tl[0].points[3].t0_s, 0.03);
  ASSERT_EQ(tl[0].others.size(), 2u);
  EXPECT_EQ(tl[0].others[0].pid, 4242);
  EXPECT_EQ(tl[0].others[0].comm, "python3");
  EXPECT_DOUBLE_EQ(tl[0].others[0].max_mib, 4096);
  EXPECT_EQ(tl[0].others[1].pid, 77);
}

// A day at 10 samples a second in 64 points: every sample counted once, the whole day covered,
// and a single second of another process's 20 GiB kept as a peak.
TEST(GpuMemory, ADayStaysBoundedAndKeepsItsPeaks) {
  GpuMemoryRecorder r(kOurs, 0, 64);
  const int64_t n = 864000;
  for (int64_t i = 0; i < n; ++i) {
    const bool burst = i >= 500000 && i < 500010;
    std::vector<NvmlSample::Process> procs = {{kOurs, "yolo", 2048 * kMiB, {}}};
    if (burst) procs.push_back({4242, "python3", 20480 * kMiB, {}});
    r.add(sample(i * 100, burst ? 22600 : 2100, procs));
  }
  const auto tl = r.timelines();
  ASSERT_EQ(tl.size(), 1u);
  EXPECT_LE(tl[0].points.size(), 64u);
  EXPECT_GE(tl[0].points.size(), 32u);
  int64_t counted = 0;
  double peak = 0, others_peak = 0;
  for (size_t i = 0; i < tl[0].points.size(); ++i) {
    const GpuMemoryPoint& p = tl[0].points[i];
    counted += p.samples;
    peak = std::max(peak, p.used_mib);
    others_peak = std::max(others_peak, p.others_mib);
    if (i) {
      EXPECT_GT(p.t0_s, tl[0].points[i - 1].t1_s);
    }
  }
  EXPECT_EQ(counted, n);
  EXPECT_EQ(tl[0].samples, n);
  EXPECT_DOUBLE_EQ(tl[0].points.front().t0_s, 0);
  EXPECT_DOUBLE_EQ(tl[0].points.back().t1_s, (n - 1) * 0.1);
  EXPECT_DOUBLE_EQ(peak, 22600);
  EXPECT_DOUBLE_EQ(others_peak, 20480);
}

TEST(GpuMemory, KeepsDevicesApart) {
  const std::vector<NvmlSample> samples = {sample(0, 100, {}, 1), sample(0, 200, {}, 0),
                                           sample(5, 300, {}, 1)};
  const auto tl = gpu_memory_over_time(samples, kOurs, 0);
  ASSERT_EQ(tl.size(), 2u);
  EXPECT_EQ(tl[0].device, 0);
  EXPECT_EQ(tl[1].device, 1);
  EXPECT_EQ(tl[1].points.size(), 2u);
  EXPECT_DOUBLE_EQ(tl[1].points[1].used_mib, 300);
}

// The CPU backend has no device scratch to report.
TEST(GpuMemory, AHostBackendHasNoDeviceWorkspace) {
  Graph g = build_builtin_model("yolov8n", 64, 1);
  prepare_graph(g);
  const Executor ex(std::move(g), make_cpu_backend({.threads = 1}));
  EXPECT_FALSE(device_workspace_bytes(ex).has_value());
}

}  // namespace
}  // namespace ys
