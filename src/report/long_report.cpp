#include "report/long_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analysis/statistics.h"
#include "core/rounding.h"

namespace ys {
namespace {

using nlohmann::json;

json num(double v, int digits = 3) {
  return std::isfinite(v) ? json(round_to(v, digits)) : json(nullptr);
}

json blame_json(const Blame& b) {
  json j = {{"kind", b.kind}, {"score", round_to(b.score, 2)}, {"evidence", b.evidence}};
  if (b.pid > 0) {
    j["pid"] = b.pid;
    j["comm"] = b.comm;
  }
  return j;
}

// Each layer's host span in a flight frame: from its first op's start to its last op's end.
json flight_layers(const FlightFrame& f, const std::vector<LayerResult>& layers) {
  json out = json::array();
  if (f.op_us.empty()) return out;
  const double inference_start = f.times.start_ms[static_cast<size_t>(PipelineStage::kInference)];
  for (const LayerResult& l : layers) {
    double start = INFINITY, ms = 0;
    for (size_t step : l.steps) {
      if (step >= f.op_us.size()) continue;
      start = std::min(start, static_cast<double>(f.op_begin_us[step]) / 1e3);
      ms += f.op_us[step] / 1e3;
    }
    if (!std::isfinite(start)) start = inference_start;
    out.push_back({{"id", l.id}, {"label", l.label}, {"start_ms", num(start)}, {"ms", num(ms)}});
  }
  return out;
}

// A flight frame's kernels, copies and waits as CUPTI recorded them; times from the frame's
// begin, each kernel with the layer of its execution step (null where the step is unknown) and
// its name as an index into the record's `kernel_names`: cuDNN's names run to a hundred
// characters and more, and a day's 64 records hold some 80,000 kernels.
json flight_gpu(const FlightGpu& g, const FlightRecord& r,
                const std::vector<const LayerResult*>& of_step) {
  json kernels = json::array(), copies = json::array(), waits = json::array();
  for (const FlightKernel& k : g.kernels) {
    const LayerResult* l = k.step >= 0 && static_cast<size_t>(k.step) < of_step.size()
                               ? of_step[static_cast<size_t>(k.step)]
                               : nullptr;
    kernels.push_back({{"name", k.name < r.kernel_names.size() ? json(k.name) : json(nullptr)},
                       {"start_ms", num(k.start_ms, 4)},
                       {"ms", num(k.ms, 4)},
                       {"layer", l ? json(l->id) : json(nullptr)}});
  }
  for (const FlightCopy& c : g.copies) {
    // The host side names the memory, as the detailed mode's copy table does.
    GpuMemoryKind memory = c.src;
    if (c.kind == GpuCopyKind::kDeviceToHost || c.kind == GpuCopyKind::kMemset) memory = c.dst;
    const bool on_device = c.kind == GpuCopyKind::kDeviceToDevice || c.kind == GpuCopyKind::kPeer;
    copies.push_back({{"direction", copy_kind_name(c.kind)},
                      {"memory", on_device ? "device" : memory_kind_name(memory)},
                      {"bytes", c.bytes},
                      {"start_ms", num(c.start_ms, 4)},
                      {"ms", num(c.ms, 4)}});
  }
  const std::vector<std::string>& wait_names = gpu_wait_names();
  for (const FlightWait& w : g.waits)
    waits.push_back({{"kind", w.what < wait_names.size() ? wait_names[w.what] : "unknown"},
                     {"start_ms", num(w.start_ms, 4)},
                     {"ms", num(w.ms, 4)}});
  return {
      {"kernels", std::move(kernels)},
      {"copies", std::move(copies)},
      {"waits", std::move(waits)},
      {"dropped",
       {{"kernels", g.kernels_dropped}, {"copies", g.copies_dropped}, {"waits", g.waits_dropped}}}};
}

json flight_json(const LongSnapshot& s, const std::vector<LayerResult>& layers) {
  json out = json::array();
  std::vector<const LayerResult*> of_step;
  for (const LayerResult& l : layers) {
    for (size_t step : l.steps) {
      if (step >= of_step.size()) of_step.resize(step + 1, nullptr);
      of_step[step] = &l;
    }
  }
  for (const FlightRecord& r : s.flight) {
    json frames = json::array();
    for (const FlightFrame& f : r.frames) {
      json stages = json::object();
      for (size_t c = 0; c < kPipelineStageCount; ++c) {
        if (std::isnan(f.times.ms[c])) continue;
        stages[long_column_name(c)] = {{"start_ms", num(f.times.start_ms[c])},
                                       {"ms", num(f.times.ms[c])}};
      }
      frames.push_back({{"frame", f.times.frame},
                        {"t_s", num(static_cast<double>(f.times.begin_ns - s.start_ns) / 1e9, 4)},
                        {"spike", f.times.spike},
                        {"traced", !f.op_us.empty()},
                        {"latency_ms", num(f.times.ms[kLatencyColumn])},
                        {"stages", stages},
                        {"layers", flight_layers(f, layers)},
                        {"gpu", f.gpu ? flight_gpu(*f.gpu, r, of_step) : json(nullptr)}});
    }
    const SpikeOccurrence* o =
        r.occurrence < s.occurrences.size() ? &s.occurrences[r.occurrence] : nullptr;
    out.push_back(
        {{"occurrence", r.occurrence},
         {"frame", o ? o->frame : 0},
         {"t_s", o ? num(static_cast<double>(o->begin_ns - s.start_ns) / 1e9, 4) : json()},
         {"excess_ms", num(r.excess_ms)},
         {"frames", frames},
         {"kernel_names", r.kernel_names}});
  }
  return out;
}

json overhead_json(const LongSnapshot& s, size_t ops) {
  json j = {{"method",
             "every 8th frame runs without op hooks; the median of (traced frame's inference - "
             "the untraced frame's after it) against the untraced median, over the whole run"},
            {"pairs", s.overhead_pairs_ms.size()},
            {"hook_cost_ns", num(s.hook_cost_ns, 1)}};
  if (s.overhead_pairs_ms.size() < 2) {
    j["pct"] = nullptr;
    j["measured"] = false;
    return j;
  }
  const Stats d = compute_stats(s.overhead_pairs_ms);
  const double base = compute_stats(s.untraced_inference_ms).median;
  const double pct = base > 0 ? 100 * d.median / base : 0;
  const double noise =
      base > 0 ? 100 * 1.96 * d.stddev / std::sqrt(static_cast<double>(d.count)) / base : 0;
  j["measured"] = true;
  j["pct"] = num(pct, 2);
  j["noise_pct"] = num(noise, 2);
  j["within_noise"] = std::abs(pct) <= noise;
  j["untraced_ms"] = num(base);
  j["estimated_pct"] =
      num(base > 0 ? 100 * s.hook_cost_ns * static_cast<double>(ops) / 1e6 / base : 0, 3);
  return j;
}

}  // namespace

json long_json(const LongSnapshot& s, const std::vector<LayerResult>& layers,
               const LongRunFacts& facts) {
  json j;
  j["duration_s"] = num(static_cast<double>(s.now_ns - s.start_ns) / 1e9);
  j["frames"] = s.frames;
  j["baseline_ms"] = num(s.baseline_ms);
  j["warmup_s"] = facts.warmup_s;
  j["memory_bytes"] = facts.memory_bytes;
  j["checkpoint"] = {{"period_s", facts.checkpoint_period_s},
                     {"final", facts.final},
                     {"written_at_s", num(static_cast<double>(s.now_ns - s.start_ns) / 1e9)}};
  // Columns per second; a stage that never ran is left out.
  json buckets = {{"width_s", 1}};
  json count = json::array(), spikes = json::array(), stages = json::object();
  for (const LongBucket& b : s.buckets) {
    count.push_back(b.count);
    spikes.push_back(b.spikes);
  }
  static const char* kStat[] = {"p50", "p95", "p99", "max"};
  for (size_t c = 0; c < kLongColumns; ++c) {
    bool ran = false;
    for (const LongBucket& b : s.buckets) ran = ran || !std::isnan(b.q[c][0]);
    if (!ran) continue;
    json col = json::object();
    for (size_t k = 0; k < 4; ++k) {
      json v = json::array();
      for (const LongBucket& b : s.buckets) v.push_back(num(b.q[c][k]));
      col[kStat[k]] = std::move(v);
    }
    stages[long_column_name(c)] = std::move(col);
  }
  buckets["count"] = std::move(count);
  buckets["spike_frames"] = std::move(spikes);
  buckets["stages"] = std::move(stages);
  j["buckets"] = std::move(buckets);

  json recent = {{"span_s", s.recent.empty()
                                ? 0.0
                                : round_to(static_cast<double>(s.recent.back().begin_ns -
                                                               s.recent.front().begin_ns) /
                                               1e9,
                                           3)}};
  json frame = json::array(), t = json::array(), cols = json::object();
  for (const LongFrame& f : s.recent) {
    frame.push_back(f.frame);
    t.push_back(num(static_cast<double>(f.begin_ns - s.start_ns) / 1e9, 4));
  }
  for (size_t c = 0; c < kLongColumns; ++c) {
    json v = json::array();
    bool ran = false;
    for (const LongFrame& f : s.recent) {
      v.push_back(num(f.ms[c]));
      ran = ran || !std::isnan(f.ms[c]);
    }
    if (ran) cols[long_column_name(c)] = std::move(v);
  }
  recent["frame"] = std::move(frame);
  recent["t_s"] = std::move(t);
  recent["stages"] = std::move(cols);
  j["recent"] = std::move(recent);
  j["flight"] = flight_json(s, layers);
  size_t ops = 0;
  for (const LayerResult& l : layers) ops += l.steps.size();
  j["overhead"] = overhead_json(s, ops);
  j["host"] = {{"available", facts.host_period_ms > 0},
               {"period_ms", facts.host_period_ms},
               {"cost_pct", num(facts.host_cost_pct, 3)}};
  j["nvml"] = {{"available", facts.nvml_period_ms > 0}, {"period_ms", facts.nvml_period_ms}};
  if (!facts.nvml_why.empty()) j["nvml"]["why"] = facts.nvml_why;
  return j;
}

json spikes_json(const SpikeReport& r) {
  json j;
  j["count"] = r.count;
  j["dropped"] = r.dropped;
  j["baseline_ms"] = num(r.baseline_ms);
  j["periodic"] = r.wall.periodic;
  j["period_s"] = r.wall.periodic ? num(r.wall.period) : json(nullptr);
  j["period_err_s"] = r.wall.periodic ? num(r.wall.period_err) : json(nullptr);
  j["jitter_s"] = r.wall.periodic ? num(r.wall.jitter) : json(nullptr);
  j["phase_s"] = r.wall.periodic ? num(r.wall.phase) : json(nullptr);
  j["expected"] = r.wall.expected;
  j["matched"] = r.wall.matched;
  j["confidence"] = num(r.wall.periodic ? r.wall.confidence : 0, 2);
  j["chance"] = num(r.wall.chance_p, 4);
  j["period_frames"] = r.frames.periodic ? num(r.frames.period, 1) : json(nullptr);
  j["period_frames_err"] = r.frames.periodic ? num(r.frames.period_err, 1) : json(nullptr);
  j["duration_ms"] = num(r.duration_ms);
  j["text"] = r.text;
  j["text_frames"] = r.count ? period_text(r.frames, "frames") : "";
  j["culprit"] = r.count ? blame_json(r.culprit) : json(nullptr);
  json occ = json::array();
  for (const OccurrenceResult& o : r.occurrences) {
    json b = json::array();
    for (const Blame& x : o.blame) b.push_back(blame_json(x));
    occ.push_back({{"t_s", num(o.t_s)},
                   {"frame", o.frame},
                   {"frames", o.frames},
                   {"duration_ms", num(o.duration_ms)},
                   {"peak_ms", num(o.peak_ms)},
                   {"stage", o.stage},
                   {"layer", o.layer.empty() ? json(nullptr) : json(o.layer)},
                   {"layer_label", o.layer_label},
                   {"in_period", o.in_period},
                   {"flight", o.flight >= 0 ? json(o.flight) : json(nullptr)},
                   {"culprit", blame_json(o.culprit)},
                   {"blame", std::move(b)}});
  }
  j["occurrences"] = std::move(occ);
  return j;
}

std::string spikes_console(const SpikeReport& r) {
  char head[160];
  std::snprintf(head, sizeof(head), "  Spikes: %lld over %.0f s (baseline %.2f ms a frame): ",
                static_cast<long long>(r.count), r.run_s, r.baseline_ms);
  std::string out = head;
  if (r.count == 0) return out + "none\n";
  out += r.text + "\n";
  if (r.frames.periodic) out += "    in frames: " + period_text(r.frames, "frames") + "\n";
  if (r.culprit.kind == "unclear") {
    out += "  Culprit: unclear (" + r.culprit.evidence + ")\n";
  } else {
    char share[64];
    std::snprintf(share, sizeof(share), " in %.0f%% of %s", 100 * r.culprit.score,
                  r.wall.periodic ? "the periodic occurrences" : "the occurrences");
    out +=
        "  Culprit: " + r.culprit.kind +
        (r.culprit.pid > 0 ? ", " + r.culprit.comm + " (pid " + std::to_string(r.culprit.pid) + ")"
                           : "") +
        share + ": " + r.culprit.evidence + "\n";
  }
  return out;
}

}  // namespace ys
