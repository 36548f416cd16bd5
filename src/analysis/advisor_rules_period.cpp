// The period of the window's latency spikes, in wall time and in frames (issue 15.2): the
// window's spike rule reads it from here rather than from an autocorrelation of frame numbers.
#include <algorithm>

#include "analysis/advisor_rules.h"

namespace ys::advisor_rules {

WindowPeriod window_spike_period(const ProfileAnalysis& a, size_t skip,
                                 const std::vector<size_t>& idx) {
  WindowPeriod p;
  const size_t n = a.latency_ms.size() > skip ? a.latency_ms.size() - skip : 0;
  if (n == 0) return p;
  // One occurrence per run of spike frames, at its first frame.
  std::vector<size_t> first;
  for (size_t k = 0; k < idx.size(); ++k) {
    if (k == 0 || idx[k] - idx[k - 1] > 3) first.push_back(idx[k]);
  }
  std::vector<double> frames;
  for (size_t i : first) frames.push_back(static_cast<double>(a.frame_index[i + skip]));
  // Frame numbers are exact: a slot is a frame either side (half a frame's resolution).
  p.frames = estimate_period(frames, static_cast<double>(a.frame_index[skip]),
                             static_cast<double>(a.frame_index[skip + n - 1] + 1), 0.5);
  if (a.frame_t_ms.size() == a.latency_ms.size()) {
    std::vector<double> t;
    for (size_t i : first) t.push_back(a.frame_t_ms[i + skip] / 1e3);
    // A frame's time is known to within a frame: the median latency.
    const double frame_s = std::max(1e-3, a.latency.median / 1e3);
    p.wall =
        estimate_period(t, a.frame_t_ms[skip] / 1e3,
                        (a.frame_t_ms[skip + n - 1] + a.latency_ms[skip + n - 1]) / 1e3, frame_s);
  } else {
    p.wall.why = "the frames' times were not recorded";
  }
  return p;
}

}  // namespace ys::advisor_rules
