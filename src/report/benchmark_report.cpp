#include "report/benchmark_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "analysis/statistics.h"

namespace ys {
namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::vector<double> sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string pct(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.1f%%", fraction * 100);
  return buf;
}

std::string padded(std::string s, size_t width, bool right = false) {
  if (s.size() >= width) return s + " ";
  const std::string pad(width - s.size(), ' ');
  return (right ? pad + s : s + pad) + " ";
}

std::string interval(const ChangeEstimate& e) {
  return "[" + pct(e.ci_low) + ", " + pct(e.ci_high) + "]";
}

std::string conf_label(const ComparisonResult& r) {
  return fixed(r.confidence * 100, 0) + "%";
}

std::string xml_escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab and newlines are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += c;
    }
  }
  return out;
}

// One sentence with every figure of a metric, for the JUnit failure and the markdown notes.
std::string metric_sentence(const MetricComparison& m, const ComparisonResult& r) {
  const ChangeEstimate& e = m.estimate;
  return m.kind + " " + m.name + ": median " + fixed(e.baseline_median, 3) + " ms -> " +
         fixed(e.current_median, 3) + " ms, " + pct(e.change) + " (" + conf_label(r) +
         " interval " + pct(e.ci_low) + " to " + pct(e.ci_high) + "; threshold " +
         fixed(r.threshold * 100, 1) + "%; " + std::to_string(e.baseline_n) + " and " +
         std::to_string(e.current_n) + " frames, blocks of " + std::to_string(e.block) + ")";
}

}  // namespace

std::string benchmark_console_table(const BenchmarkRecord& r) {
  std::ostringstream out;
  out << padded("stage", 12) << padded("frames", 7, true) << padded("median ms", 10, true)
      << padded("p90 ms", 10, true) << padded("p99 ms", 10, true) << padded("fps", 10, true)
      << "\n";
  for (const BenchmarkSeries& s : r.stages) {
    const Stats st = compute_stats(s.ms);
    const std::string fps = st.median > 0 ? fixed(1000.0 * r.batch / st.median, 1) : "-";
    out << padded(s.name, 12) << padded(std::to_string(st.count), 7, true)
        << padded(fixed(st.median, 3), 10, true) << padded(fixed(st.p90, 3), 10, true)
        << padded(fixed(st.p99, 3), 10, true) << padded(fps, 10, true) << "\n";
  }
  if (!r.calibration_method.empty())
    out << "Calibration: " << r.calibration_method << ", 10th percentile "
        << fixed(percentile(sorted(r.calibration_ms), kCalibrationPercentile), 3) << " ms, median "
        << fixed(median_of(r.calibration_ms), 3) << " ms over " << r.calibration_ms.size()
        << " runs between frames\n";
  return out.str();
}

std::string comparison_outcome(const ComparisonResult& r) {
  std::string slower, faster;
  for (const MetricComparison& m : r.metrics) {
    if (m.verdict == Verdict::kRegression)
      slower += (slower.empty() ? "" : ", ") + m.name + " " + pct(m.estimate.change);
    if (m.verdict == Verdict::kImprovement)
      faster += (faster.empty() ? "" : ", ") + m.name + " " + pct(m.estimate.change);
  }
  std::string s = r.regression() ? "REGRESSION: " + slower
                                 : "no regression beyond " + fixed(r.threshold * 100, 1) + "%";
  if (!faster.empty()) s += "; improved: " + faster;
  return s;
}

std::string comparison_table(const ComparisonResult& r, const std::string& title) {
  std::ostringstream out;
  out << "Compare " << title << " (threshold " << fixed(r.threshold * 100, 1) << "%, "
      << conf_label(r) << " block-bootstrap intervals of the median's change)\n";
  for (const std::string& w : r.warnings) out << "WARNING: " << w << "\n";
  out << "Scale: " << r.scale_note << "\n";
  out << padded("kind", 6) << padded("name", 16) << padded("base ms", 10, true)
      << padded("cur ms", 10, true) << padded("change", 8, true) << padded("interval", 20, true)
      << "verdict\n";
  for (const MetricComparison& m : r.metrics) {
    const ChangeEstimate& e = m.estimate;
    out << padded(m.kind, 6) << padded(m.name, 16);
    if (!e.valid) {
      out << padded("-", 10, true) << padded(fixed(e.current_median, 3), 10, true) << padded("", 8)
          << padded("", 20) << verdict_name(m.verdict) << "\n";
      continue;
    }
    out << padded(fixed(e.baseline_median, 3), 10, true)
        << padded(fixed(e.current_median, 3), 10, true) << padded(pct(e.change), 8, true)
        << padded(interval(e), 20, true) << verdict_name(m.verdict) << "\n";
  }
  out << comparison_outcome(r) << "\n";
  return out.str();
}

std::string comparison_markdown(const ComparisonResult& r, const std::string& title) {
  std::ostringstream out;
  out << "### YoloScope performance: " << (r.regression() ? "regression" : "no regression")
      << "\n\n";
  out << "`" << title << "`, threshold " << fixed(r.threshold * 100, 1) << "%, " << conf_label(r)
      << " intervals. " << r.scale_note << ".\n\n";
  for (const std::string& w : r.warnings) out << "> **Warning:** " << w << "\n";
  if (!r.warnings.empty()) out << "\n";
  out << "| | "
      << "name | baseline ms | current ms | change | " << conf_label(r)
      << " interval | verdict |\n|---|---|---:|---:|---:|---:|---|\n";
  for (const MetricComparison& m : r.metrics) {
    const ChangeEstimate& e = m.estimate;
    const char* mark = m.verdict == Verdict::kRegression    ? ":red_circle:"
                       : m.verdict == Verdict::kImprovement ? ":green_circle:"
                                                            : "";
    out << "| " << mark << " | " << m.kind << " `" << m.name << "` | "
        << (e.valid ? fixed(e.baseline_median, 3) : "-") << " | " << fixed(e.current_median, 3)
        << " | " << (e.valid ? pct(e.change) : "-") << " | " << (e.valid ? interval(e) : "-")
        << " | " << verdict_name(m.verdict) << " |\n";
  }
  out << "\n**" << comparison_outcome(r) << "**\n";
  return out.str();
}

std::string comparison_junit(const ComparisonResult& r, const std::string& title) {
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"yolo compare\" tests=\"" << r.metrics.size() << "\" failures=\""
      << r.regressions << "\">\n";
  for (const char* kind : {"stage", "layer"}) {
    int tests = 0, failures = 0, skipped = 0;
    for (const MetricComparison& m : r.metrics) {
      if (m.kind != kind) continue;
      ++tests;
      failures += m.verdict == Verdict::kRegression;
      skipped += m.verdict == Verdict::kNotCompared;
    }
    if (tests == 0) continue;
    out << " <testsuite name=\"performance." << kind << "\" tests=\"" << tests << "\" failures=\""
        << failures << "\" skipped=\"" << skipped << "\" errors=\"0\">\n";
    out << "  <properties><property name=\"compare\" value=\"" << xml_escaped(title)
        << "\"/><property name=\"threshold\" value=\"" << r.threshold
        << "\"/><property name=\"scale\" value=\"" << xml_escaped(r.scale_note) << "\"/>";
    for (const std::string& w : r.warnings)
      out << "<property name=\"warning\" value=\"" << xml_escaped(w) << "\"/>";
    out << "</properties>\n";
    for (const MetricComparison& m : r.metrics) {
      if (m.kind != kind) continue;
      out << "  <testcase classname=\"yoloscope.performance." << kind << "\" name=\""
          << xml_escaped(m.name) << "\" time=\"" << fixed(m.estimate.current_median / 1000, 6)
          << "\"";
      if (m.verdict == Verdict::kRegression) {
        const std::string s = metric_sentence(m, r);
        out << ">\n   <failure type=\"regression\" message=\"" << xml_escaped(s) << "\">"
            << xml_escaped(s) << "</failure>\n  </testcase>\n";
      } else if (m.verdict == Verdict::kNotCompared) {
        out << ">\n   <skipped message=\"" << xml_escaped(m.name)
            << " is not in the baseline, or its baseline median is 0\"/>\n  </testcase>\n";
      } else {
        out << ">\n   <system-out>"
            << xml_escaped(metric_sentence(m, r) + ": " + verdict_name(m.verdict))
            << "</system-out>\n  </testcase>\n";
      }
    }
    out << " </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

nlohmann::json comparison_json(const ComparisonResult& r, const std::string& title) {
  nlohmann::json j;
  j["compare"] = title;
  j["verdict"] = r.regression() ? "regression" : "no regression";
  j["outcome"] = comparison_outcome(r);
  j["threshold"] = r.threshold;
  j["confidence"] = r.confidence;
  j["scale"] = r.scale;
  j["scale_note"] = r.scale_note;
  j["warnings"] = r.warnings;
  j["regressions"] = r.regressions;
  j["improvements"] = r.improvements;
  nlohmann::json metrics = nlohmann::json::array();
  for (const MetricComparison& m : r.metrics) {
    const ChangeEstimate& e = m.estimate;
    metrics.push_back({{"kind", m.kind},
                       {"name", m.name},
                       {"verdict", verdict_name(m.verdict)},
                       {"baseline_median_ms", e.baseline_median},
                       {"current_median_ms", e.current_median},
                       {"change", e.change},
                       {"ci_low", e.ci_low},
                       {"ci_high", e.ci_high},
                       {"baseline_frames", e.baseline_n},
                       {"current_frames", e.current_n},
                       {"block", e.block},
                       {"autocorrelation", e.autocorrelation},
                       {"drift", e.drift}});
  }
  j["metrics"] = metrics;
  return j;
}

}  // namespace ys
