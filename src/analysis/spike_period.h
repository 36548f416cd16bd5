// The period of a family of events (latency spikes) on one axis: wall time in seconds, or frame
// numbers for keyframes. Frame times vary, so a period counted in frames says nothing about a
// timer or another process; this one folds the events' times at candidate periods (the
// differences between nearby events) and keeps the period whose slots the events fill best,
// above what as many random events would fill by chance. The fit is then refined by least
// squares over the matched events. Fewer than four matched slots is no period: three spikes are
// not one. Thresholds and their reasons are in docs/ADVISOR.md.
#pragma once

#include <string>
#include <vector>

namespace ys {

struct PeriodEstimate {
  bool periodic = false;
  double period = 0;      // in the axis' unit
  double period_err = 0;  // half-width of an approximate 95% interval of `period`
  double jitter = 0;      // standard deviation of the matched events around their slots
  double phase = 0;       // first slot's position, in [begin, begin + period)
  int expected = 0;       // slots of the period inside the observed span
  int matched = 0;        // slots holding an event
  int events = 0;
  double confidence = 0;  // 0..1: the slots' fill above chance, (fill - chance) / (1 - chance)
  double chance = 0;      // the fill as many events at random times would give
  // The chance that random times fill as many slots at some period tried: binomial tail times
  // the number of periods tried.
  double chance_p = 1;
  std::vector<bool> in_period;  // per event: it sits in a slot of the period
  std::string why;              // why it is not periodic
};

// `t`: event times, ascending; [begin, end]: the span in which events could have been seen;
// `resolution`: how precisely an event's time is known (a frame's duration; 1 for frames).
PeriodEstimate estimate_period(const std::vector<double>& t, double begin, double end,
                               double resolution);

// "every 60.0 s (+/- 0.3 s), 14 of 15 expected occurrences, each about 40 ms, phase 12.1 s";
// `unit` "s" or "frames"; `each` the occurrences' typical duration ("" leaves it out);
// "not periodic (<why>)" when it is not.
std::string period_text(const PeriodEstimate& p, const std::string& unit,
                        const std::string& each = "");

// The fewest matched slots that make a period, and the least share of expected slots filled.
constexpr int kMinPeriodMatches = 4;
constexpr double kMinPeriodFill = 0.6;
// A period's relative error must stay under this to be reported as one.
constexpr double kMaxPeriodRelErr = 0.1;
// The most chance_p a period may have.
constexpr double kMaxChance = 0.01;

}  // namespace ys
