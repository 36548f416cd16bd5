#include "report/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace ys {
namespace {

// HELP text escapes backslash and line feed only (a double quote stays as it is).
std::string escape_help(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void append_labels(std::string& out, const PromLabels& labels, const std::string* le = nullptr) {
  if (labels.empty() && !le) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + prom_escape_label(v) + '"';
  }
  if (le) out += std::string(first ? "" : ",") + "le=\"" + *le + '"';
  out += '}';
}

}  // namespace

std::string prom_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Counters reach 2^53 only after centuries of frames, so an integral value within that range is
  // written as an integer, the way Prometheus' own clients write counts.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
    return std::to_string(static_cast<int64_t>(v));
  // Plain decimals where they stay short (the `le` bounds read 0.0001, not 1e-04), the shortest
  // exact form otherwise; both read back to the same double.
  char buf[64];
  const double a = std::fabs(v);
  const auto r = a >= 1e-6 && a < 1e15
                     ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                     : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string prom_escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void PromWriter::head(const std::string& name, const std::string& type, const std::string& help) {
  out_ += "# HELP " + name + ' ' + escape_help(help) + '\n';
  out_ += "# TYPE " + name + ' ' + type + '\n';
}

void PromWriter::family(const std::string& name, const std::string& type, const std::string& help,
                        const std::vector<std::pair<PromLabels, double>>& samples) {
  head(name, type, help);
  for (const auto& [labels, value] : samples) {
    out_ += name;
    append_labels(out_, labels);
    out_ += ' ' + prom_number(value) + '\n';
  }
}

void PromWriter::histogram(const std::string& name, const std::string& help,
                           const std::vector<PromHistogram>& series) {
  head(name, "histogram", help);
  for (const PromHistogram& h : series) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= h.bounds.size(); ++b) {
      cumulative += b < h.counts.size() ? h.counts[b] : 0;
      const std::string le = b < h.bounds.size() ? prom_number(h.bounds[b]) : "+Inf";
      out_ += name + "_bucket";
      append_labels(out_, h.labels, &le);
      out_ += ' ' + std::to_string(cumulative) + '\n';
    }
    out_ += name + "_sum";
    append_labels(out_, h.labels);
    out_ += ' ' + prom_number(h.sum) + '\n';
    out_ += name + "_count";
    append_labels(out_, h.labels);
    out_ += ' ' + std::to_string(cumulative) + '\n';
  }
}

}  // namespace ys
