#include "report/json_figures.h"

#include <cmath>

#include "core/rounding.h"

namespace ys {

nlohmann::json stats_json(const Stats& s, int digits) {
  return {{"median", round_to(s.median, digits)},
          {"mean", round_to(s.mean, digits)},
          {"p90", round_to(s.p90, digits)},
          {"p99", round_to(s.p99, digits)},
          {"max", round_to(s.max, digits)},
          {"min", round_to(s.min, digits)},
          {"count", s.count}};
}

nlohmann::json stats_or_null(const Stats& s, int digits) {
  return s.count == 0 ? nlohmann::json(nullptr) : stats_json(s, digits);
}

nlohmann::json number_or_null(double x, int digits) {
  return std::isfinite(x) ? nlohmann::json(round_to(x, digits)) : nlohmann::json(nullptr);
}

}  // namespace ys
