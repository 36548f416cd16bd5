#include "report/advice_report.h"

#include <sstream>

#include "core/rounding.h"
#include "report/json_figures.h"

namespace ys {

nlohmann::json advice_json(const std::vector<Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const Finding& f : findings) {
    nlohmann::json figures = nlohmann::json::array();
    for (const Figure& e : f.evidence)
      figures.push_back({{"name", e.name}, {"value", round_to(e.value, 4)}, {"unit", e.unit}});
    nlohmann::json settings = nlohmann::json::object(), both = nlohmann::json::object();
    for (const auto& [k, v] : f.settings) settings[k] = v;
    for (const auto& [k, v] : f.baseline_settings) both[k] = v;
    out.push_back({{"id", f.id},
                   {"severity", severity_name(f.severity)},
                   {"finding", f.finding},
                   {"evidence", evidence_text(f)},
                   {"figures", figures},
                   {"frames", f.frames},
                   {"fix", f.fix},
                   {"settings", settings},
                   {"baseline_settings", both},
                   {"expected_gain", gain_text(f)},
                   {"expected_gain_pct", round_to(f.expected_gain_pct, 2)},
                   {"gain_how", f.gain_how},
                   {"measured_gain_pct", f.measured_gain_pct
                                             ? nlohmann::json(round_to(*f.measured_gain_pct, 2))
                                             : nlohmann::json(nullptr)},
                   {"measured_how", f.measured_how},
                   {"role", f.role == Role::kInput     ? "input"
                            : f.role == Role::kSymptom ? "symptom"
                                                       : "cause"},
                   {"refuted", f.refuted}});
  }
  return out;
}

nlohmann::json input_json(const InputStats& in, bool synthetic_weights) {
  return {{"frames", in.frames},
          {"how",
           "luma (0-255) on a strided grid of about 64x64 pixels of each measured image, "
           "after its timed stages"},
          {"brightness", stats_or_null(in.brightness, 3)},
          {"contrast", stats_or_null(in.contrast, 3)},
          {"change", stats_or_null(in.change, 3)},
          {"roughness", stats_or_null(in.roughness, 3)},
          {"detections_per_frame", stats_or_null(in.detections, 3)},
          {"candidates_per_frame", stats_or_null(in.candidates, 3)},
          {"frames_with_detections", in.frames_with_detections},
          {"detections_meaningful", !synthetic_weights}};
}

std::string advice_console(const std::vector<Finding>& findings, size_t max) {
  std::ostringstream os;
  if (findings.empty()) {
    os << "  Advice: no findings\n";
    return os.str();
  }
  os << "  Advice (" << findings.size() << " finding" << (findings.size() == 1 ? "" : "s")
     << (findings.size() > max ? ", top " + std::to_string(max) : std::string()) << "):\n";
  // The verdict's lead and id ("Top cause: threads.contended"); the sentence is the line below.
  const std::string verdict = verdict_text(findings);
  const size_t id_end = verdict.find(": ", verdict.find(": ") + 2);
  if (!verdict.empty()) os << "    " << verdict.substr(0, id_end) << "\n";
  for (size_t i = 0; i < findings.size() && i < max; ++i) {
    const Finding& f = findings[i];
    const std::string gain = gain_summary(f);
    os << "    " << (f.refuted ? "refuted" : severity_name(f.severity)) << " " << f.id << ": "
       << f.finding << (f.fix.empty() ? std::string() : " Fix: " + f.fix)
       << (gain.empty() ? std::string() : " [" + gain + "]") << "\n";
  }
  return os.str();
}

}  // namespace ys
