// Prometheus' text exposition format, version 0.0.4: one writer for metric families of any
// names, so that the escaping, number formatting and histogram layout (cumulative `le` buckets
// ending in +Inf, then _sum and _count) are right in one place. It knows no YoloScope metric; the
// session names them (session/live_exposition.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ys {

using PromLabels = std::vector<std::pair<std::string, std::string>>;

struct PromHistogram {
  PromLabels labels;
  std::vector<double> bounds;    // upper bounds, ascending, without +Inf
  std::vector<uint64_t> counts;  // per bucket, not cumulative: bounds.size() + 1 (the last +Inf)
  double sum = 0;                // _count is the +Inf bucket, so that the two always agree
};

class PromWriter {
 public:
  // A family whose samples are (labels, value). `type` is "counter" or "gauge"; a counter's name
  // ends in _total. Families with no samples are written as HELP and TYPE only.
  void family(const std::string& name, const std::string& type, const std::string& help,
              const std::vector<std::pair<PromLabels, double>>& samples);
  void histogram(const std::string& name, const std::string& help,
                 const std::vector<PromHistogram>& series);

  const std::string& text() const { return out_; }

 private:
  void head(const std::string& name, const std::string& type, const std::string& help);
  std::string out_;
};

// A sample value as Prometheus reads it: integers without exponent, NaN, +Inf, -Inf, otherwise the
// shortest form that reads back to the same double.
std::string prom_number(double v);
// A label value with backslash, double quote and line feed escaped.
std::string prom_escape_label(const std::string& v);

}  // namespace ys
