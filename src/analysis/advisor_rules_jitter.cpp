// The advisor's rule on latency spikes, and their link to a cause among the other findings.
#include "analysis/advisor_rules.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace ys::advisor_rules {
namespace {

// Thresholds (docs/ADVISOR.md says where each comes from).
constexpr double kSpikeRatio = 2;  // p99 over median
constexpr int64_t kSpikeMinFrames = 10;

// The frames (positions in the series) of the longest run of spikes, a gap of one steady frame
// allowed inside it: a slow phase when it holds at least 3 frames and 80% of the spikes.
std::pair<size_t, size_t> longest_run(const std::vector<size_t>& idx) {
  std::pair<size_t, size_t> best{0, 0}, cur{0, 0};
  size_t best_n = 0, cur_n = 0;
  for (size_t k = 0; k < idx.size(); ++k) {
    if (k > 0 && idx[k] - idx[k - 1] <= 2) {
      cur.second = idx[k];
      ++cur_n;
    } else {
      cur = {idx[k], idx[k]};
      cur_n = 1;
    }
    if (cur_n > best_n) {
      best = cur;
      best_n = cur_n;
    }
  }
  return best;
}

}  // namespace

void jitter_rules(const Context& c, std::vector<Finding>& out) {
  const auto& all = c.a.latency_ms;
  if (static_cast<int64_t>(all.size()) < kSpikeMinFrames) return;
  // The profiler's own start-up is no finding: those frames are left out of every figure here.
  const size_t skip = startup_transient_frames(all);
  const std::vector<double> lat(all.begin() + static_cast<std::ptrdiff_t>(skip), all.end());
  const Stats st = compute_stats(lat);
  const double med = st.median;
  if (med <= 0 || st.p99 < kSpikeRatio * med) return;
  std::vector<size_t> idx;
  double excess = 0, inf_excess = 0, total = 0;
  const double inf_med = compute_stats(c.a.inference_ms).median;
  for (size_t i = 0; i < lat.size(); ++i) {
    total += lat[i];
    if (lat[i] > kSpikeFrameRatio * med) {
      idx.push_back(i);
      excess += lat[i] - med;
      const size_t at = i + skip;
      if (at < c.a.inference_ms.size()) inf_excess += std::max(0.0, c.a.inference_ms[at] - inf_med);
    }
  }
  if (idx.size() < 2) return;
  auto frame = [&](size_t i) { return c.a.frame_index[i + skip]; };
  // A step or a burst is one stretch of slow frames, not a period: autocorrelation sees a
  // contiguous block as "periodic" at the smallest lag it tries.
  const auto [run_first, run_last] = longest_run(idx);
  size_t in_run = 0;
  for (size_t i : idx) in_run += i >= run_first && i <= run_last;
  const bool phase = in_run >= 3 && 5 * in_run >= 4 * idx.size();
  double phase_ms = 0, after_ms = 0;
  if (phase) {
    std::vector<double> inside, after;
    for (size_t i = run_first; i <= run_last; ++i) inside.push_back(lat[i]);
    for (size_t i = run_last + 1; i < lat.size(); ++i) after.push_back(lat[i]);
    phase_ms = compute_stats(inside).median;
    after_ms = after.empty() ? med : compute_stats(after).median;
  }
  // The period on the time axis first: frame times vary, so a count of frames says little about
  // a timer or another process; a count of frames is kept for keyframes.
  const WindowPeriod period = window_spike_period(c.a, skip, idx);
  const bool in_time = !phase && period.wall.periodic;
  const bool in_frames = !phase && !in_time && period.frames.periodic;
  const bool periodic = in_time || in_frames;
  const std::string every = in_time     ? period_text(period.wall, "s")
                            : in_frames ? period_text(period.frames, "frames")
                                        : "";
  const bool in_inference = inf_excess >= 0.5 * excess;
  std::string shape;
  if (phase) {
    shape = ", a slow phase from frame " + std::to_string(frame(run_first)) + " to " +
            std::to_string(frame(run_last)) + " (median " + fmt(phase_ms) + " ms, then " +
            fmt(after_ms) + " ms)";
  } else {
    shape = periodic ? ", " + every : ", not periodic";
  }
  Finding f = make("latency.spikes", Severity::kWarning,
                   std::to_string(idx.size()) + " latency spike(s): p99 " + fmt(st.p99) +
                       " ms against a median of " + fmt(med) + " ms" + shape + ", mostly " +
                       (in_inference ? "inside inference." : "outside inference."));
  f.role = Role::kSymptom;
  f.evidence = {
      {"latency, median", med, "ms"},
      {"latency, p99", st.p99, "ms"},
      {"latency, max", st.max, "ms"},
      {"spike frames (> 1.5x median)", static_cast<double>(idx.size()), ""},
      {"period", in_time ? period.wall.period : 0, "s"},
      {"period", in_frames ? period.frames.period : 0, "frames"},
      {"share of the excess inside inference", excess > 0 ? 100 * inf_excess / excess : 0, "%"}};
  if (skip > 0)
    f.evidence.push_back({"profiler start-up frames left out", static_cast<double>(skip), ""});
  for (size_t i : idx) {
    if (f.frames.size() < kListedFrames) f.frames.push_back(frame(i));
  }
  if (phase) {
    f.fix = in_inference
                ? "something held the inference cores from frame " +
                      std::to_string(frame(run_first)) + " to " + std::to_string(frame(run_last)) +
                      ": another process or a burst of other work (check what ran "
                      "then; pin inference away from it with taskset)"
                : "decoding or output stalled from frame " + std::to_string(frame(run_first)) +
                      " to " + std::to_string(frame(run_last)) +
                      " (a slow source, a full disk or network sink)";
  } else if (periodic) {
    const std::string when =
        in_time ? fmt(period.wall.period) + " s" : fmt(period.frames.period, 0) + " frames";
    f.fix = "something runs every " + when + ": " +
            (in_inference ? "look for a periodic task on the same cores (logging, a timer, "
                            "another process) and pin inference away from it (taskset)"
                          : "video keyframes (decode cost) or a periodic flush of outputs; "
                            "decode on its own thread or buffer outputs");
  } else {
    f.fix = in_inference ? "keep other work off the inference cores (taskset, threads= below the "
                           "core count) and profile longer to see whether spikes persist"
                         : "decode and write outputs on their own threads so their stalls do "
                           "not reach the frame";
  }
  f.expected_gain_pct = total > 0 ? 100.0 * excess / total : 0;
  f.gain_how = "throughput: the spikes' time above the median, as a share of the window";
  out.push_back(f);
}

// A symptom whose cause is among the findings says so, and points at the cause's fix.
void link_symptoms(std::vector<Finding>& out) {
  const Finding* cause = nullptr;
  for (const Finding& f : out) {
    if (f.id == "threads.oversubscribed" || f.id == "threads.contended") cause = &f;
  }
  if (!cause) return;
  for (Finding& f : out) {
    if (f.id != "latency.spikes" || f.finding.find("inside inference") == std::string::npos)
      continue;
    f.symptom_of = cause->id;
    f.finding += " Likely a symptom of " + cause->id + ".";
    f.fix = "take " + cause->id + "'s fix (" + cause->fix + ") first, then profile again";
    // The cause's gain already counts these frames' excess.
    f.expected_gain_pct = 0;
    f.gain_how = "counted in " + cause->id + "'s gain";
  }
}

}  // namespace ys::advisor_rules
