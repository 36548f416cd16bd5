#include "session/long_gpu_arming.h"

#include <algorithm>

namespace ys {

bool gpu_armed(const GpuArming& a, int64_t t_ns) {
  if (a.duty_period_ns > 0 && a.duty_on_ns > 0) {
    const int64_t since = t_ns - a.start_ns;
    if (since >= 0 && since % a.duty_period_ns < a.duty_on_ns) return true;
  }
  if (a.period_ns <= 0) return false;
  int64_t m = (t_ns - a.phase_ns) % a.period_ns;
  if (m < 0) m += a.period_ns;
  return m <= a.lag_ns || m >= a.period_ns - a.lead_ns;
}

void arm_for_period(GpuArming& a, const PeriodEstimate& p, double frame_ms, double duration_ms,
                    int frames_before, int frames_after) {
  if (!p.periodic || p.period <= 0) {
    a.period_ns = a.phase_ns = a.lead_ns = a.lag_ns = 0;
    return;
  }
  const double slack_ms = 1e3 * (p.period_err + 3 * p.jitter);
  auto ns = [](double ms) { return static_cast<int64_t>(ms * 1e6); };
  int64_t lead = ns((frames_before + 2) * frame_ms + slack_ms);
  int64_t lag = ns(std::max(duration_ms, 0.0) + (frames_after + 2) * frame_ms + slack_ms);
  a.period_ns = static_cast<int64_t>(p.period * 1e9);
  const auto cap = static_cast<int64_t>(static_cast<double>(a.period_ns) * kMaxPeriodShare);
  if (lead + lag > cap) {
    // Shrunk in proportion: the occurrence itself stays inside.
    lead = static_cast<int64_t>(static_cast<double>(lead) * static_cast<double>(cap) /
                                static_cast<double>(lead + lag));
    lag = cap - lead;
  }
  a.phase_ns = a.start_ns + static_cast<int64_t>(p.phase * 1e9);
  a.lead_ns = lead;
  a.lag_ns = lag;
}

}  // namespace ys
