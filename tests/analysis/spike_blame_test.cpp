// Blame of a spike from sampled numbers: the process that took the cores is named with its pid
// and command, our own stage is blamed only when it grew on its own, GPU evidence names the other
// process or our copies, and mixed or missing evidence is said to be unclear.
#include "analysis/spike_blame.h"

#include <gtest/gtest.h>

#include <cstring>

namespace ys {
namespace {

constexpr int64_t kMs = 1000000;

HostSample sample(int64_t t_ms, float others, int running, float wait_ms) {
  HostSample s;
  s.t_ns = t_ms * kMs;
  s.interval_ms = 100;
  s.others_cpu_pct = others;
  s.procs_running = running;
  s.self_wait_ms = wait_ms;
  s.busy_pct = 100;
  return s;
}

void add_top(HostSample& s, int pid, const char* comm, float pct) {
  HostProcess& p = s.top[static_cast<size_t>(s.top_count++)];
  p.pid = pid;
  std::strncpy(p.comm.data(), comm, p.comm.size() - 1);
  p.cpu_pct = pct;
}

std::vector<HostSample> quiet_then_burst(bool burst) {
  std::vector<HostSample> v;
  for (int64_t t = 100; t <= 10000; t += 100) {
    const bool in = burst && t > 5000 && t <= 5800;
    HostSample s = sample(t, in ? 195.f : 15.f, in ? 6 : 2, in ? 40.f : 2.f);
    if (in) add_top(s, 4242, "burst_sidecar", 190);
    add_top(s, 77, "cc1plus", 10);
    v.push_back(s);
  }
  return v;
}

OwnWindow inference_grew(double excess) {
  OwnWindow o;
  o.stage = "inference";
  o.stage_excess_ms = excess;
  o.total_excess_ms = excess;
  return o;
}

TEST(SpikeBlame, NamesTheProcessThatTookTheCores) {
  const auto samples = quiet_then_burst(true);
  const HostWindow w = host_window(samples, 5100 * kMs, 5700 * kMs, {{5100 * kMs, 5700 * kMs}});
  EXPECT_GT(w.samples, 4);
  EXPECT_GT(w.usual_samples, 80);
  ASSERT_FALSE(w.top.empty());
  EXPECT_EQ(w.top[0].pid, 4242);
  const auto blames = blame_spike(inference_grew(300), &w, nullptr, 2);
  const Blame c = culprit(blames);
  EXPECT_EQ(c.kind, "host_other_process");
  EXPECT_EQ(c.pid, 4242);
  EXPECT_EQ(c.comm, "burst_sidecar");
  EXPECT_NE(c.evidence.find("% of a core during the spike (usually 0%)"), std::string::npos)
      << c.evidence;
}

TEST(SpikeBlame, AProcessAsBusyAsUsualIsNoCulprit) {
  const auto samples = quiet_then_burst(false);
  const HostWindow w = host_window(samples, 5100 * kMs, 5700 * kMs, {{5100 * kMs, 5700 * kMs}});
  const auto blames = blame_spike(inference_grew(30), &w, nullptr, 2);
  EXPECT_EQ(culprit(blames).kind, "unclear");
  for (const Blame& b : blames) EXPECT_NE(b.kind, "host_other_process");
}

TEST(SpikeBlame, OwnStageWhenPostprocessingGrewAlone) {
  OwnWindow o;
  o.stage = "nms";
  o.stage_excess_ms = 38;
  o.total_excess_ms = 40;
  const Blame c = culprit(blame_spike(o, nullptr, nullptr, 2));
  EXPECT_EQ(c.kind, "own_stage");
  EXPECT_NE(c.evidence.find("nms grew by 38 ms"), std::string::npos) << c.evidence;
}

TEST(SpikeBlame, OwnStageWhenOneLayerTookTheExcess) {
  OwnWindow o = inference_grew(40);
  o.layer = "22";
  o.layer_label = "Detect #22";
  o.layer_growth_ms = 36;
  EXPECT_EQ(culprit(blame_spike(o, nullptr, nullptr, 2)).kind, "own_stage");
}

TEST(SpikeBlame, AnotherProcessOnTheGpuPullingOverPcie) {
  std::vector<NvmlSample> s;
  for (int64_t t = 100; t <= 10000; t += 100) {
    NvmlSample n;
    n.t_ns = t * kMs;
    n.sm_clock_mhz = 1980;
    const bool in = t >= 5000 && t <= 5100;
    n.pcie_rx_kbs = in ? 12e6 : 2e3;
    n.processes.push_back({100, "yolo", 1 << 30, 80.0});
    if (in) n.processes.push_back({4242, "python3", int64_t{2} << 30, 5.0});
    s.push_back(n);
  }
  const DeviceWindow w = device_window(s, 5000 * kMs, 5040 * kMs, {{5000 * kMs, 5040 * kMs}}, 100);
  ASSERT_EQ(w.others.size(), 1u);
  EXPECT_GT(w.pcie_mbs, 10000);
  const Blame c = culprit(blame_spike(inference_grew(40), nullptr, &w, 2));
  EXPECT_EQ(c.kind, "device_other_process");
  EXPECT_EQ(c.pid, 4242);
  EXPECT_EQ(c.comm, "python3");
}

TEST(SpikeBlame, PcieRiseWithNoOtherProcessIsOurOwn) {
  std::vector<NvmlSample> s;
  for (int64_t t = 100; t <= 10000; t += 100) {
    NvmlSample n;
    n.t_ns = t * kMs;
    n.pcie_rx_kbs = t >= 5000 && t <= 5100 ? 12e6 : 2e3;
    n.processes.push_back({100, "yolo", 1 << 30, 80.0});
    s.push_back(n);
  }
  const DeviceWindow w = device_window(s, 5000 * kMs, 5040 * kMs, {{5000 * kMs, 5040 * kMs}}, 100);
  EXPECT_TRUE(w.others.empty());
  EXPECT_EQ(culprit(blame_spike(inference_grew(40), nullptr, &w, 2)).kind, "own_gpu");
}

TEST(SpikeBlame, OurOwnLargeCopyIsOwnGpu) {
  OwnWindow o = inference_grew(45);
  o.copy_bytes = 512.0 * (1 << 20);
  o.copy_bytes_usual = 1.2 * (1 << 20);
  o.wait_ms = 44;
  o.wait_ms_usual = 0.1;
  const Blame c = culprit(blame_spike(o, nullptr, nullptr, 2));
  EXPECT_EQ(c.kind, "own_gpu");
  EXPECT_NE(c.evidence.find("512 MiB"), std::string::npos) << c.evidence;
}

TEST(SpikeBlame, MajorFaultsAreHostMemory) {
  HostWindow w;
  w.samples = 2;
  w.usual_samples = 50;
  w.major_faults = 300;
  const Blame c = culprit(blame_spike(inference_grew(50), &w, nullptr, 2));
  EXPECT_EQ(c.kind, "host_memory");
}

TEST(SpikeBlame, FamilyCulpritNeedsMostMembers) {
  Blame h{"host_other_process", 4242, "burst_sidecar", 0.9, "x"};
  Blame o{"own_stage", 0, "", 0.3, "y"};
  std::vector<std::vector<Blame>> m(5, {h});
  m.push_back({o});
  const Blame c = family_culprit(m);
  EXPECT_EQ(c.kind, "host_other_process");
  EXPECT_EQ(c.pid, 4242);
  EXPECT_NEAR(c.score, 5.0 / 6, 1e-9);
  std::vector<std::vector<Blame>> few(2, {h});
  few.insert(few.end(), 3, std::vector<Blame>{o});
  EXPECT_EQ(family_culprit(few).kind, "unclear");
}

}  // namespace
}  // namespace ys
