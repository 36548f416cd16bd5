// Rounding a figure to a number of decimals for the files people read (summary.json, trace.json,
// the detections' JSON): a value written to four decimals reads the same on every run and keeps
// the files small. Halves round away from zero.
#pragma once

#include <cmath>

namespace ys {

inline double round_to(double x, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(x * f) / f;
}

}  // namespace ys
