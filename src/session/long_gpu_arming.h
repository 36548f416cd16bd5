// Which frames of a long run CUPTI traces on a GPU, for the flight recorder's kernels, copies and
// waits. CUPTI costs about 0.1 ms a traced frame (9% of a 0.6 ms forward on the H200,
// docs/GPU.md), far over the long mode's 1% goal, so it cannot follow every frame. It traces
// short bursts on a duty cycle, a chance at any spike with the frames around it, and once the
// spikes are periodic, a window around each predicted occurrence, so every later occurrence of
// the family has its GPU work recorded. The decision per frame is a few integer operations.
#pragma once

#include <cstdint>

#include "analysis/spike_period.h"

namespace ys {

struct GpuArming {
  int64_t start_ns = 0;  // the run's start: the duty cycle's origin
  int64_t duty_period_ns = 10'000'000'000, duty_on_ns = 200'000'000;  // 0: no duty cycle
  // A periodic family: occurrences predicted at phase_ns + k * period_ns (host clock), armed
  // from lead_ns before each to lag_ns after; period_ns 0: none predicted.
  int64_t period_ns = 0, phase_ns = 0, lead_ns = 0, lag_ns = 0;
};

// The share of a period a periodic family's window may take: with CUPTI at about a tenth of a
// traced frame, the windows cost at most 0.5% and the default duty cycle (2% of frames) 0.2%.
constexpr double kMaxPeriodShare = 0.05;

bool gpu_armed(const GpuArming& a, int64_t t_ns);

// The periodic part of `a` from a period estimate of the occurrences' begins (seconds since
// a.start_ns); cleared when it is not periodic. The window covers the frames a flight record
// keeps around an occurrence of `duration_ms` (frames of `frame_ms`), widened by the estimate's
// error and jitter, and never more than kMaxPeriodShare of the period, so the cost stays bounded.
void arm_for_period(GpuArming& a, const PeriodEstimate& p, double frame_ms, double duration_ms,
                    int frames_before, int frames_after);

}  // namespace ys
