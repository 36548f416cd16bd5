#include "analysis/spike_period.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <map>

namespace ys {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Events are matched to a slot within this share of the period (or two resolutions, whichever
// is larger, and never beyond a quarter period): wide enough for a stall that starts a frame
// late, narrow enough that random events seldom fall in.
constexpr double kSlotTolerance = 0.08;
// Nearby events whose differences are tried as periods; more only costs time.
constexpr size_t kNeighbours = 8;

struct Fold {
  double period = 0, phase = 0, tol = 0, chance = 0, score = -2;
  int expected = 0, hits = 0;
  std::vector<long> slot;  // per event: its slot, or LONG_MIN when outside every slot
};

double tolerance(double period, double resolution) {
  return std::min(0.25 * period, std::max(kSlotTolerance * period, 2 * resolution));
}

// P(X >= k) for X ~ Binomial(n, q).
double binomial_tail(int n, int k, double q) {
  if (k <= 0) return 1;
  if (q <= 0) return 0;
  if (q >= 1) return 1;
  double sum = 0;
  for (int i = k; i <= n; ++i) {
    sum += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) +
                    i * std::log(q) + (n - i) * std::log1p(-q));
  }
  return sum;
}

// Matches events (times from the span's start) to the slots phase + n * period.
void match(const std::vector<double>& x, double span, Fold& f) {
  f.slot.assign(x.size(), LONG_MIN);
  std::map<long, bool> hit;
  for (size_t i = 0; i < x.size(); ++i) {
    const long n = std::lround((x[i] - f.phase) / f.period);
    if (std::abs(x[i] - f.phase - static_cast<double>(n) * f.period) <= f.tol) {
      f.slot[i] = n;
      hit[n] = true;
    }
  }
  const long lo = static_cast<long>(std::ceil((-f.tol - f.phase) / f.period));
  const long hi = static_cast<long>(std::floor((span + f.tol - f.phase) / f.period));
  f.expected = static_cast<int>(std::max(0L, hi - lo + 1));
  f.hits = static_cast<int>(hit.size());
  // The chance that a slot's window holds at least one of this many events at random times.
  f.chance = 1 - std::exp(-static_cast<double>(x.size()) * 2 * f.tol / std::max(span, 1e-12));
  const double fill = f.expected > 0 ? static_cast<double>(f.hits) / f.expected : 0;
  // The candidate least likely by chance wins: a sub-multiple of the period that random spikes
  // fill often, or a multiple that explains half the spikes, is more likely by chance than the
  // period itself.
  f.score = fill > f.chance
                ? -std::log(std::max(1e-300, binomial_tail(f.expected, f.hits, f.chance)))
                : -1;
}

// The phase at which most events fall together: the densest pair of neighbouring phase bins,
// averaged on the circle.
Fold fold_at(const std::vector<double>& x, double span, double period, double resolution) {
  Fold f;
  f.period = period;
  f.tol = tolerance(period, resolution);
  const int bins = std::max(4, static_cast<int>(std::ceil(period / f.tol)));
  std::vector<int> count(static_cast<size_t>(bins), 0);
  std::vector<double> ph(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    ph[i] = std::fmod(x[i], period);
    const int b = std::min(bins - 1, static_cast<int>(ph[i] / period * bins));
    ++count[static_cast<size_t>(b)];
  }
  int best = 0;
  for (int b = 1; b < bins; ++b) {
    const auto c = [&](int k) { return count[static_cast<size_t>(k % bins)]; };
    if (c(b) + c(b + 1) > c(best) + c(best + 1)) best = b;
  }
  double s = 0, co = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const int b = std::min(bins - 1, static_cast<int>(ph[i] / period * bins));
    if (b != best && b != (best + 1) % bins) continue;
    s += std::sin(2 * kPi * ph[i] / period);
    co += std::cos(2 * kPi * ph[i] / period);
  }
  double phase = std::atan2(s, co) / (2 * kPi) * period;
  if (phase < 0) phase += period;
  f.phase = phase;
  match(x, span, f);
  return f;
}

}  // namespace

PeriodEstimate estimate_period(const std::vector<double>& t, double begin, double end,
                               double resolution) {
  PeriodEstimate r;
  r.events = static_cast<int>(t.size());
  r.in_period.assign(t.size(), false);
  const double span = end - begin;
  if (t.size() < static_cast<size_t>(kMinPeriodMatches) || span <= 0) {
    r.why = std::to_string(t.size()) + " occurrence(s); a period needs at least " +
            std::to_string(kMinPeriodMatches);
    return r;
  }
  std::vector<double> x(t.size());
  for (size_t i = 0; i < t.size(); ++i) x[i] = t[i] - begin;
  // A period must fit at least three times into the span, and be well above the resolution.
  const double lo = std::max(4 * resolution, 1e-9), hi = span / 3;
  std::vector<double> cand;
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = i + 1; j < x.size() && j <= i + kNeighbours; ++j) {
      // The interval and its fractions: the mean interval over several occurrences averages
      // their jitter, and a missed occurrence doubles an interval.
      for (int m = 1; m <= 4; ++m) {
        const double d = (x[j] - x[i]) / m;
        if (d >= lo && d <= hi) cand.push_back(d);
      }
    }
  }
  std::sort(cand.begin(), cand.end());
  Fold best;
  double last = -1;
  size_t tried = 0;
  for (double p : cand) {
    if (last > 0 && p < last * 1.002) continue;  // near-equal candidates fold alike
    last = p;
    ++tried;
    Fold f = fold_at(x, span, p, resolution);
    if (f.score > best.score || (f.score == best.score && f.hits > best.hits)) best = f;
  }
  if (best.score < 0 || best.hits < 2) {
    r.why = "no interval between occurrences repeats";
    return r;
  }
  // Least squares over one event per matched slot (the one nearest its slot).
  std::map<long, double> nearest;
  for (size_t i = 0; i < x.size(); ++i) {
    const long n = best.slot[i];
    if (n == LONG_MIN) continue;
    const double d = x[i] - best.phase - static_cast<double>(n) * best.period;
    auto it = nearest.find(n);
    if (it == nearest.end() ||
        std::abs(d) < std::abs(it->second - best.phase - static_cast<double>(n) * best.period))
      nearest[n] = x[i];
  }
  double sn = 0, sx = 0, m = static_cast<double>(nearest.size());
  for (const auto& [n, v] : nearest) {
    sn += static_cast<double>(n);
    sx += v;
  }
  const double nbar = sn / m, xbar = sx / m;
  double snn = 0, snx = 0;
  for (const auto& [n, v] : nearest) {
    snn += (static_cast<double>(n) - nbar) * (static_cast<double>(n) - nbar);
    snx += (static_cast<double>(n) - nbar) * (v - xbar);
  }
  Fold fit = best;
  if (snn > 0 && m >= 3) {
    fit.period = snx / snn;
    fit.phase = xbar - fit.period * nbar;
    fit.tol = tolerance(fit.period, resolution);
    fit.phase = std::fmod(fit.phase, fit.period);
    if (fit.phase < 0) fit.phase += fit.period;
    match(x, span, fit);
    if (fit.hits < best.hits) fit = best;  // the refinement must not lose events
  }
  double ss = 0;
  for (const auto& [n, v] : nearest) {
    const double e = v - fit.phase - static_cast<double>(n) * fit.period;
    const double e2 = e - std::round(e / fit.period) * fit.period;
    ss += e2 * e2;
  }
  const double sigma = m > 2 ? std::sqrt(ss / (m - 2)) : 0;
  const double spread =
      nearest.empty() ? 1 : static_cast<double>(nearest.rbegin()->first - nearest.begin()->first);
  r.period = fit.period;
  r.jitter = sigma;
  r.period_err = std::max(snn > 0 ? 2 * sigma / std::sqrt(snn) : fit.period,
                          resolution / std::max(spread, 1.0));
  r.phase = begin + fit.phase;
  r.expected = fit.expected;
  r.matched = fit.hits;
  r.chance = fit.chance;
  const double fill = fit.expected > 0 ? static_cast<double>(fit.hits) / fit.expected : 0;
  r.confidence = fit.chance < 1 ? std::clamp((fill - fit.chance) / (1 - fit.chance), 0.0, 1.0) : 0;
  for (size_t i = 0; i < x.size(); ++i) r.in_period[i] = fit.slot[i] != LONG_MIN;
  // Significance: the chance that random events fill this many slots, times the number of
  // periods tried (each try is another chance to be fooled).
  const double tail = binomial_tail(fit.expected, fit.hits, fit.chance) *
                      static_cast<double>(std::max<size_t>(1, tried));
  r.chance_p = std::min(1.0, tail);
  char buf[160];
  if (fit.hits < kMinPeriodMatches || fit.expected < kMinPeriodMatches) {
    std::snprintf(buf, sizeof(buf), "only %d occurrence(s) repeat at the best interval", fit.hits);
    r.why = buf;
  } else if (fill < kMinPeriodFill) {
    std::snprintf(buf, sizeof(buf), "the best interval, %.3g, is filled %d of %d times", r.period,
                  fit.hits, fit.expected);
    r.why = buf;
  } else if (tail > kMaxChance) {
    std::snprintf(buf, sizeof(buf),
                  "%d of %d slots filled at %.3g, as random times would fill them in %.0f%% of "
                  "runs",
                  fit.hits, fit.expected, r.period, 100 * std::min(1.0, tail));
    r.why = buf;
  } else if (r.period_err > kMaxPeriodRelErr * r.period) {
    std::snprintf(buf, sizeof(buf), "the interval varies too much (%.3g +/- %.3g)", r.period,
                  r.period_err);
    r.why = buf;
  } else {
    r.periodic = true;
  }
  if (!r.periodic) std::fill(r.in_period.begin(), r.in_period.end(), false);
  return r;
}

std::string period_text(const PeriodEstimate& p, const std::string& unit, const std::string& each) {
  if (!p.periodic) return "not periodic (" + p.why + ")";
  // Two significant digits for the error, so a tight fit does not read "+/- 0.0".
  char err[32], buf[240];
  std::snprintf(err, sizeof(err), p.period_err >= 0.95 ? "%.0f" : "%.2g", p.period_err);
  const std::string tail = each.empty() ? "" : ", each about " + each;
  if (unit == "frames") {
    std::snprintf(buf, sizeof(buf), "every %.0f frames (+/- %s), %d of %d expected occurrences%s",
                  p.period, err, p.matched, p.expected, tail.c_str());
  } else {
    std::snprintf(buf, sizeof(buf),
                  "every %.1f s (+/- %s s), %d of %d expected occurrences%s, phase %.1f s",
                  p.period, err, p.matched, p.expected, tail.c_str(), p.phase);
  }
  return buf;
}

}  // namespace ys
