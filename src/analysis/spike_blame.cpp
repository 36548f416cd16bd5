#include "analysis/spike_blame.h"

#include <algorithm>
#include <cstdio>

namespace ys {
namespace {

bool overlaps(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
  return a0 <= b1 && b0 <= a1;
}

bool in_any(int64_t a0, int64_t a1, const std::vector<std::pair<int64_t, int64_t>>& busy) {
  for (const auto& [b0, b1] : busy)
    if (overlaps(a0, a1, b0, b1)) return true;
  return false;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string f1(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.0f", v);
  return b;
}

// PCIe traffic well above usual: twice it and 500 MB/s more (a camera frame a few ms apart is
// a few MB/s; a pull of a large buffer is GB/s).
constexpr double kPcieMinExtraMbs = 500;
// Our threads waiting for a core this many points above usual is a sign that the cores were taken.
constexpr double kWaitMinExtraPct = 5;

}  // namespace

HostWindow host_window(const std::vector<HostSample>& samples, int64_t begin_ns, int64_t end_ns,
                       const std::vector<std::pair<int64_t, int64_t>>& busy) {
  HostWindow w;
  std::vector<double> oc, pr, sw, iv, mf, io;
  std::map<int, std::pair<std::string, double>> during;
  std::map<int, double> usual_sum;
  for (const HostSample& s : samples) {
    const auto from = s.t_ns - static_cast<int64_t>(static_cast<double>(s.interval_ms) * 1e6);
    const double secs = std::max(1e-3, static_cast<double>(s.interval_ms) / 1e3);
    const double wait_pct = 100.0 * s.self_wait_ms / std::max(1.0f, s.interval_ms);
    if (overlaps(from, s.t_ns, begin_ns, end_ns)) {
      ++w.samples;
      w.others_cpu_pct = std::max<double>(w.others_cpu_pct, s.others_cpu_pct);
      w.procs_running = std::max<double>(w.procs_running, s.procs_running);
      w.self_wait_pct = std::max(w.self_wait_pct, wait_pct);
      w.involuntary_per_s = std::max(w.involuntary_per_s, s.self_involuntary / secs);
      w.major_faults = std::max<double>(w.major_faults, s.self_major_faults);
      w.iowait_pct = std::max<double>(w.iowait_pct, s.iowait_pct);
      for (int i = 0; i < s.top_count; ++i) {
        auto& [comm, pct] = during[s.top[static_cast<size_t>(i)].pid];
        comm = s.top[static_cast<size_t>(i)].name();
        pct = std::max<double>(pct, s.top[static_cast<size_t>(i)].cpu_pct);
      }
    } else if (!in_any(from, s.t_ns, busy)) {
      ++w.usual_samples;
      oc.push_back(s.others_cpu_pct);
      pr.push_back(s.procs_running);
      sw.push_back(wait_pct);
      iv.push_back(s.self_involuntary / secs);
      mf.push_back(s.self_major_faults);
      io.push_back(s.iowait_pct);
      for (int i = 0; i < s.top_count; ++i)
        usual_sum[s.top[static_cast<size_t>(i)].pid] += s.top[static_cast<size_t>(i)].cpu_pct;
    }
  }
  w.others_cpu_usual = median(oc);
  w.procs_running_usual = median(pr);
  w.self_wait_usual = median(sw);
  w.involuntary_usual = median(iv);
  w.major_faults_usual = median(mf);
  w.iowait_usual = median(io);
  for (const auto& [pid, v] : during) {
    ProcessCpu p;
    p.pid = pid;
    p.comm = v.first;
    p.cpu_pct = v.second;
    const auto it = usual_sum.find(pid);
    p.usual_pct = it == usual_sum.end() || w.usual_samples == 0
                      ? 0
                      : it->second / static_cast<double>(w.usual_samples);
    w.top.push_back(p);
  }
  std::sort(w.top.begin(), w.top.end(),
            [](const ProcessCpu& a, const ProcessCpu& b) { return a.cpu_pct > b.cpu_pct; });
  return w;
}

DeviceWindow device_window(const std::vector<NvmlSample>& samples, int64_t begin_ns, int64_t end_ns,
                           const std::vector<std::pair<int64_t, int64_t>>& busy, int self_pid) {
  DeviceWindow w;
  std::vector<double> pcie, clock;
  std::map<int, DeviceWindow::Process> others;
  // NVML's PCIe counter covers the 20 ms before a reading; a reading within 100 ms after the
  // window's end still describes it.
  constexpr int64_t kAfter = 100000000;
  for (const NvmlSample& s : samples) {
    const double mbs = (s.pcie_tx_kbs.value_or(0) + s.pcie_rx_kbs.value_or(0)) / 1e3;
    if (s.t_ns >= begin_ns && s.t_ns <= end_ns + kAfter) {
      ++w.samples;
      w.pcie_mbs = std::max(w.pcie_mbs, mbs);
      if (s.sm_clock_mhz)
        w.sm_clock_mhz =
            w.sm_clock_mhz > 0 ? std::min(w.sm_clock_mhz, *s.sm_clock_mhz) : *s.sm_clock_mhz;
      w.throttle_reasons |= s.throttle_reasons.value_or(0);
      w.power_w = std::max(w.power_w, s.power_w.value_or(0));
      for (const NvmlSample::Process& p : s.processes) {
        if (p.pid == self_pid) continue;
        DeviceWindow::Process& o = others[p.pid];
        o.pid = p.pid;
        o.comm = p.comm;
        o.sm_util_pct = std::max(o.sm_util_pct, p.sm_util_pct.value_or(0));
        o.memory_bytes = std::max(o.memory_bytes, p.memory_bytes);
      }
    } else if (!in_any(s.t_ns - kAfter, s.t_ns, busy)) {
      ++w.usual_samples;
      pcie.push_back(mbs);
      if (s.sm_clock_mhz) clock.push_back(*s.sm_clock_mhz);
    }
  }
  w.pcie_usual_mbs = median(pcie);
  w.sm_clock_usual_mhz = median(clock);
  for (const auto& [pid, p] : others) w.others.push_back(p);
  std::sort(w.others.begin(), w.others.end(),
            [](const auto& a, const auto& b) { return a.sm_util_pct > b.sm_util_pct; });
  return w;
}

std::vector<Blame> blame_spike(const OwnWindow& own, const HostWindow* host,
                               const DeviceWindow* device, int cores) {
  std::vector<Blame> out;
  if (host && host->samples > 0) {
    const bool waited = host->self_wait_pct >= host->self_wait_usual + kWaitMinExtraPct ||
                        host->procs_running >= host->procs_running_usual + 1;
    for (const ProcessCpu& p : host->top) {
      const double extra = p.cpu_pct - p.usual_pct;
      if (extra < kOtherProcessMinPct) continue;
      Blame b;
      b.kind = "host_other_process";
      b.pid = p.pid;
      b.comm = p.comm;
      // A process that took a whole core's worth (or all cores) scores high; without a sign that
      // our threads waited for a core, it may have run on cores we did not use.
      const double whole = 100.0 * std::max(1, std::min(cores, 2));
      b.score = std::min(1.0, 0.4 + 0.6 * extra / whole) * (waited ? 1.0 : 0.6);
      b.evidence = "another process, " + p.comm + " (pid " + std::to_string(p.pid) + "), used " +
                   f1(p.cpu_pct) + "% of a core during the spike (usually " + f1(p.usual_pct) +
                   "%); run queue " + f1(host->procs_running) + " (usually " +
                   f1(host->procs_running_usual) + "); our threads waited for a core " +
                   f1(host->self_wait_pct) + "% of the time (usually " + f1(host->self_wait_usual) +
                   "%)";
      out.push_back(b);
      break;  // the largest one; the others are in the window's top list
    }
    if (host->major_faults >= host->major_faults_usual + 10) {
      Blame b;
      b.kind = "host_memory";
      b.score = std::min(1.0, 0.5 + (host->major_faults - host->major_faults_usual) / 200);
      b.evidence = f1(host->major_faults) +
                   " major page faults in our process during the spike "
                   "(usually " +
                   f1(host->major_faults_usual) + "): memory was read back from disk";
      out.push_back(b);
    }
    if (host->iowait_pct >= host->iowait_usual + 20) {
      Blame b;
      b.kind = "host_io";
      b.score = std::min(1.0, 0.4 + (host->iowait_pct - host->iowait_usual) / 200);
      b.evidence = "I/O wait " + f1(host->iowait_pct) + "% of a core during the spike (usually " +
                   f1(host->iowait_usual) + "%)";
      out.push_back(b);
    }
  }
  if (device && device->samples > 0) {
    const bool pcie = device->pcie_mbs >= 2 * device->pcie_usual_mbs + kPcieMinExtraMbs;
    const bool own_copies = own.copy_bytes && own.copy_bytes_usual &&
                            *own.copy_bytes > 2 * *own.copy_bytes_usual + (1 << 20);
    if (!device->others.empty()) {
      const auto& p = device->others.front();
      Blame b;
      b.kind = "device_other_process";
      b.pid = p.pid;
      b.comm = p.comm;
      b.score = (p.sm_util_pct > 0 ? 0.6 : 0.4) + (pcie && !own_copies ? 0.3 : 0);
      b.evidence = "another process on the GPU, " + (p.comm.empty() ? "?" : p.comm) + " (pid " +
                   std::to_string(p.pid) + "), " + f1(p.sm_util_pct) + "% SM, " +
                   f1(static_cast<double>(p.memory_bytes) / (1 << 20)) + " MiB" +
                   (pcie ? "; PCIe " + f1(device->pcie_mbs) + " MB/s (usually " +
                               f1(device->pcie_usual_mbs) + ")"
                         : "");
      out.push_back(b);
    }
    if (pcie && !own_copies) {
      Blame b;
      b.kind = "device_pcie";
      b.score = 0.6;
      b.evidence = "PCIe " + f1(device->pcie_mbs) + " MB/s during the spike (usually " +
                   f1(device->pcie_usual_mbs) + "), not from our own copies";
      out.push_back(b);
    }
    const bool slow_clock = device->sm_clock_usual_mhz > 0 && device->sm_clock_mhz > 0 &&
                            device->sm_clock_mhz < 0.9 * device->sm_clock_usual_mhz;
    // Bit 0 is "GPU idle", not a limit.
    if (slow_clock || (device->throttle_reasons & ~uint64_t{1}) != 0) {
      Blame b;
      b.kind = "device_clocks";
      b.score = slow_clock ? 0.6 : 0.45;
      char buf[160];
      std::snprintf(buf, sizeof(buf),
                    "SM clock %.0f MHz during the spike (usually %.0f), throttle reasons 0x%llx",
                    device->sm_clock_mhz, device->sm_clock_usual_mhz,
                    static_cast<unsigned long long>(device->throttle_reasons));
      b.evidence = buf;
      out.push_back(b);
    }
  }
  if (own.copy_bytes && own.copy_bytes_usual &&
      (*own.copy_bytes > 2 * *own.copy_bytes_usual + (1 << 20) ||
       (own.wait_ms && own.wait_ms_usual &&
        *own.wait_ms > *own.wait_ms_usual + 0.5 * own.total_excess_ms))) {
    Blame b;
    b.kind = "own_gpu";
    b.score = 0.8;
    b.evidence = "our process copied " + f1(*own.copy_bytes / (1 << 20)) +
                 " MiB between host and device in the spike's frames (usually " +
                 f1(*own.copy_bytes_usual / (1 << 20)) + " MiB)" +
                 (own.wait_ms ? ", waiting " + f1(*own.wait_ms) + " ms on the device" : "");
    out.push_back(b);
  }
  if (!own.stage.empty() && own.total_excess_ms > 0) {
    Blame b;
    b.kind = "own_stage";
    const double share = own.stage_excess_ms / own.total_excess_ms;
    const double layer_share = own.layer.empty() ? 0 : own.layer_growth_ms / own.total_excess_ms;
    // Our own stage is the culprit when a stage other than inference grew (it does its own
    // work), or one layer took most of the excess: contention slows every layer alike.
    b.score = own.stage != "inference" ? 0.6 * share : 0.6 * std::min(1.0, layer_share);
    b.evidence = own.stage + " grew by " + f1(own.stage_excess_ms) + " ms (" + f1(100 * share) +
                 "% of the spike's excess)" +
                 (own.layer.empty()
                      ? ""
                      : "; most in " + own.layer_label + " (+" + f1(own.layer_growth_ms) + " ms)");
    out.push_back(b);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Blame& a, const Blame& b) { return a.score > b.score; });
  return out;
}

Blame culprit(const std::vector<Blame>& blames) {
  if (!blames.empty() && blames[0].score >= kClearBlame &&
      (blames.size() < 2 || blames[0].score - blames[1].score >= kBlameMargin))
    return blames[0];
  Blame u;
  u.kind = "unclear";
  u.evidence = blames.empty() ? "no sampled figure moved during the spike"
                              : "no single cause stands out: " + blames[0].evidence;
  return u;
}

Blame family_culprit(const std::vector<std::vector<Blame>>& members) {
  std::map<std::string, std::pair<int, Blame>> votes;  // kind + comm
  for (const auto& m : members) {
    const Blame c = culprit(m);
    if (c.kind == "unclear") continue;
    auto& [n, b] = votes[c.kind + "/" + c.comm];
    if (n++ == 0) b = c;
  }
  Blame best;
  best.kind = "unclear";
  int top = 0;
  for (const auto& [key, v] : votes) {
    if (v.first > top) {
      top = v.first;
      best = v.second;
    }
  }
  const double share = members.empty() ? 0 : static_cast<double>(top) / members.size();
  if (share < kClearBlame) {
    Blame u;
    u.kind = "unclear";
    u.score = share;
    u.evidence = members.empty()
                     ? "no occurrence"
                     : "no culprit is clear in most occurrences (the most common, " +
                           (top ? best.kind : std::string("none")) + ", in " + std::to_string(top) +
                           " of " + std::to_string(members.size()) + ")";
    return u;
  }
  best.score = share;
  return best;
}

}  // namespace ys
