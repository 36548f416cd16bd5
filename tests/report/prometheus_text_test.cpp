// The Prometheus text writer: numbers and escapes as Prometheus parses them, and histograms with
// cumulative buckets whose +Inf equals _count.
#include "report/prometheus_text.h"

#include <gtest/gtest.h>

#include <limits>

namespace ys {
namespace {

TEST(PrometheusText, NumbersReadBackAsPrometheusParsesThem) {
  EXPECT_EQ(prom_number(42), "42");
  EXPECT_EQ(prom_number(-3), "-3");
  EXPECT_EQ(prom_number(0.0001), "0.0001");
  EXPECT_EQ(prom_number(0.1), "0.1");
  EXPECT_EQ(prom_number(1.5e-7), "1.5e-07");
  EXPECT_EQ(prom_number(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(prom_number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(prom_number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(std::stod(prom_number(1.0 / 3)), 1.0 / 3);
}

TEST(PrometheusText, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(prom_escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  PromWriter w;
  w.family("x_total", "counter", "help with \\ and\nnewline \"kept\"",
           {{{{"class", "traffic \"light\""}}, 7}});
  EXPECT_EQ(w.text(),
            "# HELP x_total help with \\\\ and\\nnewline \"kept\"\n"
            "# TYPE x_total counter\n"
            "x_total{class=\"traffic \\\"light\\\"\"} 7\n");
}

TEST(PrometheusText, AFamilyWithoutSamplesHasOnlyItsHeader) {
  PromWriter w;
  w.family("g", "gauge", "h", {});
  EXPECT_EQ(w.text(), "# HELP g h\n# TYPE g gauge\n");
}

TEST(PrometheusText, HistogramBucketsAreCumulativeAndInfIsTheCount) {
  PromWriter w;
  w.histogram("t_seconds", "h",
              {{{{"stage", "nms"}}, {0.001, 0.01}, {2, 3, 1}, 0.05},
               {{{"stage", "read"}}, {0.001, 0.01}, {0, 0, 0}, 0}});
  EXPECT_EQ(w.text(),
            "# HELP t_seconds h\n# TYPE t_seconds histogram\n"
            "t_seconds_bucket{stage=\"nms\",le=\"0.001\"} 2\n"
            "t_seconds_bucket{stage=\"nms\",le=\"0.01\"} 5\n"
            "t_seconds_bucket{stage=\"nms\",le=\"+Inf\"} 6\n"
            "t_seconds_sum{stage=\"nms\"} 0.05\n"
            "t_seconds_count{stage=\"nms\"} 6\n"
            "t_seconds_bucket{stage=\"read\",le=\"0.001\"} 0\n"
            "t_seconds_bucket{stage=\"read\",le=\"0.01\"} 0\n"
            "t_seconds_bucket{stage=\"read\",le=\"+Inf\"} 0\n"
            "t_seconds_sum{stage=\"read\"} 0\n"
            "t_seconds_count{stage=\"read\"} 0\n");
}

}  // namespace
}  // namespace ys
