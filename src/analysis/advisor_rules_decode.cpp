#include "analysis/advisor.h"
#include "analysis/advisor_rules.h"
#include "analysis/decode_bound.h"

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

}  // namespace ys
