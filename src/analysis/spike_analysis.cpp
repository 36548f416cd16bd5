#include "analysis/spike_analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ys {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The period of the occurrences, or of the larger ones: a busy machine adds many small spikes
// at random times, which would drown a periodic family of larger ones (a stall of another
// process is about the same size each time). Tries all, then those at least as long as the
// median, the upper quarter, eighth and sixteenth; the periodic one least likely by chance wins.
// `in_period` refers to all occurrences.
PeriodEstimate periodic_family(const std::vector<SpikeOccurrence>& occ,
                               const std::vector<double>& t, double begin, double end,
                               double resolution) {
  PeriodEstimate first, best;
  std::vector<double> sizes;
  for (const SpikeOccurrence& o : occ) sizes.push_back(o.excess_ms);
  std::sort(sizes.begin(), sizes.end());
  for (const double q : {0.0, 0.5, 0.75, 0.875, 0.9375}) {
    const double cut = sizes.empty() ? 0 : sizes[static_cast<size_t>(q * (sizes.size() - 1))];
    std::vector<double> sub;
    std::vector<size_t> at;
    for (size_t i = 0; i < occ.size(); ++i) {
      if (q > 0 && occ[i].excess_ms < cut) continue;
      sub.push_back(t[i]);
      at.push_back(i);
    }
    if (q > 0 && sub.size() < static_cast<size_t>(kMinPeriodMatches)) break;
    PeriodEstimate p = estimate_period(sub, begin, end, resolution);
    if (q == 0) first = p;
    if (!p.periodic) continue;
    std::vector<bool> in(occ.size(), false);
    for (size_t k = 0; k < at.size(); ++k) in[at[k]] = p.in_period[k];
    p.in_period = std::move(in);
    p.events = static_cast<int>(occ.size());
    if (!best.periodic || p.chance_p < best.chance_p) best = std::move(p);
  }
  return best.periodic ? best : first;
}

}  // namespace

OwnWindow own_window(const SpikeOccurrence& o, const FlightRecord* record,
                     const std::vector<LayerResult>& layers) {
  OwnWindow w;
  w.total_excess_ms = o.excess_ms;
  double best = 0;
  for (size_t c = 0; c < kPipelineStageCount; ++c) {
    if (o.excess_by_column[c] > best) {
      best = o.excess_by_column[c];
      w.stage = long_column_name(c);
      w.stage_excess_ms = best;
    }
  }
  if (!record) return w;
  // Each layer's mean host time in the record's spike frames against its normal frames.
  double growth_best = 0;
  for (const LayerResult& l : layers) {
    double spike = 0, normal = 0;
    int ns = 0, nn = 0;
    for (const FlightFrame& f : record->frames) {
      if (f.op_us.empty()) continue;
      double ms = 0;
      for (size_t step : l.steps)
        if (step < f.op_us.size()) ms += f.op_us[step] / 1e3;
      (f.times.spike ? spike : normal) += ms;
      ++(f.times.spike ? ns : nn);
    }
    if (ns == 0 || nn == 0) continue;
    const double g = (spike / ns - normal / nn) * o.frames;
    if (g > growth_best) {
      growth_best = g;
      w.layer = l.id;
      w.layer_label = l.label;
      w.layer_growth_ms = g;
    }
  }
  return w;
}

SpikeReport analyze_spikes(const LongSnapshot& s, const std::map<size_t, SpikeEvidence>& evidence,
                           const std::vector<LayerResult>& layers, int cores,
                           double warmup_seconds) {
  SpikeReport r;
  r.count = static_cast<int64_t>(s.occurrences.size());
  r.dropped = s.dropped_occurrences;
  r.run_s = static_cast<double>(s.now_ns - s.start_ns) / 1e9;
  r.baseline_ms = s.baseline_ms;
  std::vector<double> t, fr;
  for (const SpikeOccurrence& o : s.occurrences) {
    t.push_back(static_cast<double>(o.begin_ns - s.start_ns) / 1e9);
    fr.push_back(static_cast<double>(o.frame));
  }
  // Spikes can only be seen once the baseline is warm; the span starts there.
  int64_t first_frame = 0;
  for (size_t i = 0; i < s.buckets.size() && static_cast<double>(i) < warmup_seconds; ++i)
    first_frame += s.buckets[i].count;
  const double resolution = std::max(1e-3, s.baseline_ms / 1e3);
  r.wall = periodic_family(s.occurrences, t, warmup_seconds, r.run_s, resolution);
  r.frames =
      estimate_period(fr, static_cast<double>(first_frame),
                      static_cast<double>(std::max<int64_t>(first_frame + 1, s.frames)), 0.5);
  std::vector<std::vector<Blame>> family, all;
  std::vector<double> dur_family, dur_all;
  for (size_t i = 0; i < s.occurrences.size(); ++i) {
    const SpikeOccurrence& o = s.occurrences[i];
    OccurrenceResult x;
    x.t_s = t[i];
    x.frame = o.frame;
    x.frames = o.frames;
    x.duration_ms = o.excess_ms;
    x.peak_ms = o.peak_ms;
    x.in_period = r.wall.periodic && r.wall.in_period[i];
    const FlightRecord* rec = o.flight >= 0 && static_cast<size_t>(o.flight) < s.flight.size()
                                  ? &s.flight[static_cast<size_t>(o.flight)]
                                  : nullptr;
    x.flight = rec ? o.flight : -1;
    const OwnWindow own = own_window(o, rec, layers);
    x.stage = own.stage;
    x.layer = own.layer;
    x.layer_label = own.layer_label;
    const auto ev = evidence.find(i);
    const HostWindow* host = ev != evidence.end() && ev->second.host ? &*ev->second.host : nullptr;
    const DeviceWindow* dev =
        ev != evidence.end() && ev->second.device ? &*ev->second.device : nullptr;
    x.blame = blame_spike(own, host, dev, cores);
    x.culprit = culprit(x.blame);
    all.push_back(x.blame);
    dur_all.push_back(x.duration_ms);
    if (x.in_period) {
      family.push_back(x.blame);
      dur_family.push_back(x.duration_ms);
    }
    r.occurrences.push_back(std::move(x));
  }
  const bool periodic = r.wall.periodic;
  r.duration_ms = median(periodic ? dur_family : dur_all);
  r.culprit = family_culprit(periodic ? family : all);
  char each[48];
  std::snprintf(each, sizeof(each), "%.0f ms", r.duration_ms);
  r.text = r.count == 0 ? "no spikes" : period_text(r.wall, "s", each);
  return r;
}

}  // namespace ys
