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
// How far past a spike's end host samples still describe it: one default sampling period.
constexpr int64_t kAfterNs = 100000000;
// Our threads waiting for a core this many points above usual is a sign that the cores were taken.
constexpr double kWaitMinExtraPct = 5;

}  // namespace

HostWindow host_window(const std::vector<HostSample>& samples, int64_t begin_ns, int64_t end_ns,
                       const std::vector<std::pair<int64_t, int64_t>>& busy) {
  HostWindow w;
  std::vector<double> oc, pr, sw, iv, mf, io;
  // During the spike: means weighted by each reading's interval, so that a reading taken late
  // (its thread starved) or early counts for the time it covers, and /proc's 10 ms CPU ticks do
  // not turn into 200% over a 5 ms interval.
  double secs_in = 0, others = 0, wait = 0, invol = 0, iowait = 0;
  std::map<int, std::pair<std::string, double>> during;  // CPU seconds in the window
  std::map<int, double> usual_sum;
  for (const HostSample& s : samples) {
    const auto from = s.t_ns - static_cast<int64_t>(static_cast<double>(s.interval_ms) * 1e6);
    const double secs = std::max(1e-3, static_cast<double>(s.interval_ms) / 1e3);
    // The reading after the spike's end is kept too: a burst that began inside the spike's
    // last frame shows whole only in the interval after it.
    if (overlaps(from, s.t_ns, begin_ns, end_ns + kAfterNs)) {
      ++w.samples;
      secs_in += secs;
      others += s.others_cpu_pct * secs;
      wait += s.self_wait_ms / 1e3;
      invol += s.self_involuntary;
      iowait += s.iowait_pct * secs;
      w.procs_running = std::max<double>(w.procs_running, s.procs_running);
      w.major_faults += s.self_major_faults;
      for (int i = 0; i < s.top_count; ++i) {
        auto& [comm, cpu_s] = during[s.top[static_cast<size_t>(i)].pid];
        comm = s.top[static_cast<size_t>(i)].name();
        cpu_s += s.top[static_cast<size_t>(i)].cpu_pct / 100.0 * secs;
      }
    } else if (!in_any(from, s.t_ns, busy)) {
      ++w.usual_samples;
      oc.push_back(s.others_cpu_pct);
      pr.push_back(s.procs_running);
      sw.push_back(100.0 * s.self_wait_ms / 1e3 / secs);
      iv.push_back(s.self_involuntary / secs);
      mf.push_back(s.self_major_faults);
      io.push_back(s.iowait_pct);
      for (int i = 0; i < s.top_count; ++i)
        usual_sum[s.top[static_cast<size_t>(i)].pid] += s.top[static_cast<size_t>(i)].cpu_pct;
    }
  }
  if (secs_in > 0) {
    w.others_cpu_pct = others / secs_in;
    w.self_wait_pct = 100.0 * wait / secs_in;
    w.involuntary_per_s = invol / secs_in;
    w.iowait_pct = iowait / secs_in;
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
    p.cpu_pct = secs_in > 0 ? 100.0 * v.second / secs_in : 0;
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
    // The process whose CPU rose most above its own usual share: a build that is always busy
    // is less of a suspect than one that wakes only for the spike.
    std::vector<ProcessCpu> suspects = host->top;
    const auto novelty = [](const ProcessCpu& p) {
      return (p.cpu_pct - p.usual_pct) * (1 - p.usual_pct / std::max(p.cpu_pct, 1e-9));
    };
    std::stable_sort(
        suspects.begin(), suspects.end(),
        [&](const ProcessCpu& a, const ProcessCpu& b) { return novelty(a) > novelty(b); });
    int named = 0;
    for (const ProcessCpu& p : suspects) {
      const double extra = p.cpu_pct - p.usual_pct;
      if (extra < kOtherProcessMinPct) continue;
      Blame b;
      b.kind = "host_other_process";
      b.pid = p.pid;
      b.comm = p.comm;
      // A process that took a whole core's worth (or all cores) scores high; without a sign that
      // our threads waited for a core, it may have run on cores we did not use.
      const double whole = 100.0 * std::max(1, std::min(cores, 2));
      b.score = std::min(1.0, 0.4 + 0.6 * extra / whole) * (waited ? 1.0 : 0.6) *
                (1 - 0.5 * p.usual_pct / std::max(p.cpu_pct, 1e-9));
      b.evidence = "another process, " + p.comm + " (pid " + std::to_string(p.pid) + "), used " +
                   f1(p.cpu_pct) + "% of a core during the spike (usually " + f1(p.usual_pct) +
                   "%); run queue " + f1(host->procs_running) + " (usually " +
                   f1(host->procs_running_usual) + "); our threads waited for a core " +
                   f1(host->self_wait_pct) + "% of the time (usually " + f1(host->self_wait_usual) +
                   "%)";
      out.push_back(b);
      // A few suspects, not one: the family's culprit is the one present in most of its spikes.
      if (++named == kMaxSuspects) break;
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
    if (pcie && device->others.empty() && !own.copy_bytes) {
      // No other process holds the device: the traffic is ours (without CUPTI's records of
      // our copies, NVML's process list is the evidence).
      Blame b;
      b.kind = "own_gpu";
      b.score = 0.7;
      b.evidence = "PCIe " + f1(device->pcie_mbs) + " MB/s during the spike (usually " +
                   f1(device->pcie_usual_mbs) +
                   ") with no other process on the GPU: our own copies";
      out.push_back(b);
    } else if (pcie && !own_copies) {
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
  // A member votes for every suspect it has (score >= kSuspectBlame), once per kind and command
  // name (a job started anew each time has a new pid): a family's culprit is the one present in
  // most of its spikes, as a process waking on a timer is, while others come and go.
  struct Tally {
    int n = 0;
    double score = 0;
    Blame first;
  };
  std::map<std::string, Tally> votes;
  for (const auto& m : members) {
    std::map<std::string, bool> seen;
    for (const Blame& b : m) {
      const std::string key = b.kind + "/" + b.comm;
      if (b.score < kSuspectBlame || seen[key]) continue;
      seen[key] = true;
      Tally& t = votes[key];
      if (t.n++ == 0) t.first = b;
      t.score += b.score;
    }
  }
  const Tally* top = nullptr;
  for (const auto& [key, t] : votes) {
    if (!top || t.n > top->n || (t.n == top->n && t.score > top->score)) top = &t;
  }
  const double share = members.empty() || !top ? 0 : static_cast<double>(top->n) / members.size();
  if (share < kClearBlame) {
    Blame u;
    u.kind = "unclear";
    u.score = share;
    u.evidence =
        members.empty()
            ? "no occurrence"
            : "no suspect is in most occurrences (the most common, " +
                  (top ? top->first.kind + (top->first.comm.empty() ? "" : " " + top->first.comm)
                       : std::string("none")) +
                  ", in " + std::to_string(top ? top->n : 0) + " of " +
                  std::to_string(members.size()) + ")";
    return u;
  }
  Blame best = top->first;
  best.score = share;
  return best;
}

}  // namespace ys
