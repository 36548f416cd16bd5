#include "analysis/advisor.h"
#include "analysis/advisor_rules.h"
#include "analysis/decode_bound.h"

#include <algorithm>

namespace ys {

using advisor_rules::fmt;
using advisor_rules::make;

std::optional<Finding> decode_bound_finding(const DecodeFacts& d) {
  if (!d.on_gpu || d.decoder != "cpu" || !d.gpu_codec || d.wall_ms <= 0 || d.frames <= 0)
    return std::nullopt;
  const double decode_pct = 100 * d.decode_ms / d.wall_ms;
  const double detect_pct = 100 * d.detect_busy_ms / d.wall_ms;
  if (decode_pct < kDecodeBoundPct || detect_pct >= kDecodeBoundDetectPct) return std::nullopt;
  const std::string gpu_decoder = d.video ? "nvdec" : "nvjpeg";
  const double fps = 1e3 * static_cast<double>(d.frames) / d.wall_ms;
  Finding f = make("pipeline.decode_bound", Severity::kCritical,
                   "CPU decoding bounds the run: it was busy " + fmt(decode_pct) +
                       "% of the run while the GPU's detection filled " + fmt(detect_pct) + "% (" +
                       fmt(fps, 0) + " frames/s)");
  f.evidence = {{"decoding busy", decode_pct, "%"},
                {"detection busy", detect_pct, "%"},
                {"throughput", fps, "frames/s"}};
  f.fix = "decoder=" + gpu_decoder + " (decode on the GPU, straight into the model's input)";
  // No settings: the what-if runner re-runs the detector on kept frames, and decoder= chooses
  // how the source is read, so only a whole run can measure it. The gain stays an estimate.
  f.expected_gain_pct = 100 * (1 - d.detect_busy_ms / d.wall_ms);
  f.gain_how = "estimate: the run takes the detector's time once decoding overlaps it on the GPU";
  return f;
}

DecodeFacts decode_facts(const ProfileAnalysis& a, const RunFacts& run) {
  DecodeFacts d;
  d.on_gpu = run.on_gpu();
  d.decoder = run.decoder;
  d.video = run.video_source;
  d.gpu_codec = run.gpu_codec;
  double read = 0, detect = 0, output = 0;
  for (const StageResult& s : a.stages) {
    if (s.name == "read")
      read = s.ms.median;
    else if (s.name == "output")
      output = s.ms.median;
    else if (s.name != "decode")
      detect += s.ms.median;
  }
  const double cycle = read + detect + output;
  if (cycle <= 0 || a.frames_measured <= 0) return d;
  const auto batches = static_cast<double>(a.frames_measured);
  d.frames = a.frames_measured * std::max(1, run.batch);
  d.wall_ms = cycle * batches;
  const bool waited_for_reader = run.read_ahead && read >= kDecodeWaitPct / 100 * cycle;
  d.decode_ms = (waited_for_reader ? cycle : read) * batches;
  d.detect_busy_ms = detect * batches;
  return d;
}

namespace advisor_rules {

void decode_rules(const Context& c, std::vector<Finding>& out) {
  if (auto f = decode_bound_finding(decode_facts(c.a, c.run))) out.push_back(std::move(*f));
}

}  // namespace advisor_rules

}  // namespace ys
