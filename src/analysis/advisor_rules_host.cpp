// The advisor's rules on the host: activation memory, the pipeline around inference, threads.
#include "analysis/advisor_rules.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace ys::advisor_rules {
namespace {

// Thresholds (docs/ADVISOR.md says where each comes from).
constexpr double kHotSpotSharePct = 40;  // one layer's output, % of the arena peak
constexpr int64_t kHotSpotMinBytes = 4 << 20;
constexpr int64_t kHotSpotInputRatio = 2;  // ... and at least twice the model input
// A single activation this large dominates memory whatever the model's design: imgsz=1024 and
// above for a YOLOv8n, whose first convolution holds 4/3 of the input.
constexpr int64_t kHotSpotLargeBytes = 16 << 20;
constexpr double kInputBoundSharePct = 30;   // read + preprocess, % of frame latency
constexpr double kOutputBoundSharePct = 20;  // sinks, % of frame latency
// Share of inference that threads=<free cores> saves when OpenMP threads outnumber the free
// cores, calibrated against what-if runs (docs/ADVISOR.md, "Calibration").
constexpr double kContendedGain = 0.5;
constexpr const char* kContendedGainHow =
    "half of inference (calibrated on what-if runs: OpenMP threads on a core that other work "
    "holds spin at every barrier until it is scheduled again)";

// Sinks run on the frame's thread, after detection: their time is every frame's.
void output_rule(const Context& c, double inf, std::vector<Finding>& out) {
  const double ms = c.stage("output");
  if (c.share(ms) < kOutputBoundSharePct) return;
  Finding f = make("pipeline.output_bound", Severity::kWarning,
                   "Writing outputs (sinks: annotated images or video, labels, JSON) takes " +
                       fmt(c.share(ms), 0) + "% of each frame.");
  f.evidence = {{"output, median", ms, "ms"},
                {"output, p90",
                 [&] {
                   for (const auto& s : c.a.stages)
                     if (s.name == "output") return s.ms.p90;
                   return 0.0;
                 }(),
                 "ms"},
                {"inference, median", inf, "ms"},
                {"share of frame latency", c.share(ms), "%"}};
  f.fix =
      "write less per frame: save=False where annotated images or video are not needed "
      "(save_txt=True or save_json=True keep the detections), or write to a faster disk; in "
      "an application, hand results to a writer thread";
  f.expected_gain_pct = 0.9 * c.share(ms);
  f.gain_how = "90% of the output stage: labels or JSON instead of encoded images cost little";
  out.push_back(f);
}

}  // namespace

void memory_rules(const Context& c, std::vector<Finding>& out) {
  if (c.a.arena_bytes <= 0 || c.a.layers.empty()) return;
  // A layer's output is what stays live for the next layers (skip connections, concats); the
  // sum over all its ops' outputs would count intermediates the planner reuses.
  auto out_bytes = [](const LayerResult& l) {
    return l.output_shape.empty() ? int64_t{0} : numel(l.output_shape) * 4;
  };
  const LayerResult* top = &c.a.layers.front();
  for (const auto& l : c.a.layers) {
    if (out_bytes(l) > out_bytes(*top)) top = &l;
  }
  const int64_t bytes = out_bytes(*top);
  const double share = 100.0 * static_cast<double>(bytes) / static_cast<double>(c.a.arena_bytes);
  // Every YOLO's first convolution holds about 4/3 of the input image; only a layer well above
  // that is a hot spot the model's design (not the input size alone) creates.
  // ... unless the input itself is large enough to make its first layers the hot spot.
  const bool by_design =
      bytes >= kHotSpotMinBytes &&
      (c.run.input_bytes <= 0 || bytes >= kHotSpotInputRatio * c.run.input_bytes);
  if (share < kHotSpotSharePct || (!by_design && bytes < kHotSpotLargeBytes)) return;
  Finding f =
      make("memory.hot_spot", share >= 75 ? Severity::kWarning : Severity::kInfo,
           top->label + " dominates activation memory: its output holds " +
               mib(static_cast<double>(bytes)) + ", " + fmt(share, 0) + "% of the arena peak.");
  f.evidence = {{top->label + " output (" + shape_str(top->output_shape) + ", float32)",
                 static_cast<double>(bytes), "bytes"},
                {"arena peak", static_cast<double>(c.a.arena_bytes), "bytes"},
                {"share of the arena peak", share, "%"},
                {"model input", static_cast<double>(c.run.input_bytes), "bytes"},
                {"layer time, median", top->ms.median, "ms"}};
  f.fix =
      "activations scale with the input area: a smaller imgsz= (3/4 of it takes 44% off), "
      "or in the model, fewer channels or a lower resolution for " +
      top->label + " (for an upsample: reduce channels before upsampling)";
  f.gain_how = "memory, not time: about " + mib(0.44 * static_cast<double>(bytes)) +
               " less at 3/4 of imgsz (activations scale with area)";
  out.push_back(f);
}

void pipeline_rules(const Context& c, std::vector<Finding>& out) {
  // On CUDA without the GPU pipeline, preprocessing runs on the host; where the trace shows its
  // pageable copies, gpu.pageable_copies owns that cost, so only decoding is counted here.
  const bool host_pipeline_found = c.run.on_gpu() && !c.run.gpu_pipeline && c.run.gpu &&
                                   c.run.gpu->pageable_copy_bytes_per_frame.value_or(0) > 0;
  const double read = c.stage("read");
  const double pre = host_pipeline_found ? 0 : c.stage("preprocess");
  const double in_ms = read + pre;
  const double inf = c.stage("inference");
  if (c.latency <= 0 || inf <= 0) return;
  output_rule(c, inf, out);
  if (c.share(in_ms) < kInputBoundSharePct || in_ms < 0.5 * inf) return;
  const bool pre_bound = pre > read;
  Finding f = make("pipeline.input_bound", Severity::kWarning,
                   std::string(pre_bound ? "Preprocessing" : "Decoding") +
                       (pre_bound ? " (letterbox, normalisation)" : "") + " on the CPU takes " +
                       fmt(c.share(pre_bound ? pre : read), 0) + "% of each frame" +
                       (c.run.on_gpu() ? " while the GPU waits." : "."));
  f.evidence = {{"read (decode), median", read, "ms"},
                {"preprocess, median", c.stage("preprocess"), "ms"},
                {"inference, median", inf, "ms"},
                {"read + preprocess, share of frame latency", c.share(in_ms), "%"}};
  if (c.run.on_gpu() && !c.run.gpu_pipeline) f.settings = {{"gpu_pipeline", "True"}};
  // `yolo` already decodes on a read-ahead thread, so read time left in the frame is decoding
  // that cannot keep up with inference: the fixes make decoding cheaper or spread it out.
  const std::string faster_decode =
      "decoding already runs ahead on its own thread and still cannot keep up: lower the source "
      "resolution at the camera or decoder, or decode in parallel processes feeding raw frames "
      "to source=- (scripts/feed_video.py --workers N), or raise vid_stride where frames may be "
      "skipped";
  // Letterboxing reads every source pixel: a source far larger than imgsz pays for pixels the
  // model never sees.
  const std::string smaller_source =
      "preprocessing scales every source pixel down to imgsz: deliver frames nearer the model's "
      "size (resize at the camera or decoder, raw_size= for raw input)";
  const std::string cpu_fix = pre_bound ? smaller_source : faster_decode;
  if (!c.run.on_gpu())
    f.fix = cpu_fix;
  else if (c.run.gpu_pipeline)
    f.fix = "preprocessing already runs on the GPU; " + faster_decode;
  else
    f.fix = "gpu_pipeline=True (letterbox on the GPU after an 8-bit upload); " + cpu_fix;
  f.expected_gain_pct = c.share(std::min(in_ms, inf));
  f.gain_how = "with input that keeps up, a frame costs its inference, not the sum";
  out.push_back(f);
}

void thread_rules(const Context& c, std::vector<Finding>& out) {
  if (c.run.on_gpu() || c.run.cores <= 0) return;
  const double inf = c.stage("inference");
  const int used = c.run.threads > 0 ? c.run.threads : c.run.cores;
  const double other = c.run.system_cpu_pct >= 0
                           ? std::max(0.0, (c.run.system_cpu_pct - c.a.cpu_mean_pct) / 100.0)
                           : 0.0;
  const double free_cores = std::max(1.0, static_cast<double>(c.run.cores) - other);
  const int free_whole = std::max(1, static_cast<int>(std::floor(free_cores + 0.25)));
  if (used > c.run.cores) {
    // More threads than cores: OpenMP's barriers wait for threads the kernel has descheduled,
    // whether or not other processes compete too.
    Finding f =
        make("threads.oversubscribed", Severity::kWarning,
             "Inference runs " + std::to_string(used) + " threads on " +
                 std::to_string(c.run.cores) + " cores" +
                 (other >= 0.5 ? ", " + fmt(other, 1) + " of them busy with other work." : "."));
    f.evidence = {{"threads", static_cast<double>(used), ""},
                  {"cores", static_cast<double>(c.run.cores), ""},
                  {"load from other processes", other, "cores"},
                  {"inference, median", inf, "ms"}};
    f.fix = "threads=" + std::to_string(free_whole);
    f.settings = {{"threads", std::to_string(free_whole)}};
    f.expected_gain_pct = kContendedGain * c.share(inf);
    f.gain_how = kContendedGainHow;
    out.push_back(f);
    return;
  }
  if (other >= 0.5 && used > free_cores + 0.5) {
    const int want = free_whole;
    if (want < used) {
      Finding f = make("threads.contended", Severity::kWarning,
                       "Inference runs " + std::to_string(used) +
                           " threads but other processes "
                           "keep " +
                           fmt(other, 1) + " of " + std::to_string(c.run.cores) + " cores busy.");
      f.evidence = {{"threads", static_cast<double>(used), ""},
                    {"cores", static_cast<double>(c.run.cores), ""},
                    {"CPU of this process, mean", c.a.cpu_mean_pct, "% of one core"},
                    {"CPU of all processes, mean", c.run.system_cpu_pct, "% of one core"},
                    {"load from other processes", other, "cores"}};
      f.fix = "threads=" + std::to_string(want) + " (or move the other load off these cores)";
      f.settings = {{"threads", std::to_string(want)}};
      f.expected_gain_pct = kContendedGain * c.share(inf);
      f.gain_how = kContendedGainHow;
      out.push_back(f);
      return;
    }
  }
  // Cores that other processes keep busy are not there to use: more threads would contend.
  const int want = std::min(c.run.cores, free_whole);
  if (c.run.threads > 0 && c.run.threads < want) {
    const double gain = 0.8 * c.share(inf) * (1.0 - static_cast<double>(c.run.threads) / want);
    Finding f = make("threads.underused", gain >= 10 ? Severity::kWarning : Severity::kInfo,
                     "Inference uses " + std::to_string(c.run.threads) + " of " +
                         std::to_string(c.run.cores) + " cores.");
    f.evidence = {{"threads", static_cast<double>(c.run.threads), ""},
                  {"cores", static_cast<double>(c.run.cores), ""},
                  {"CPU of this process, mean", c.a.cpu_mean_pct, "% of one core"},
                  {"inference, median", inf, "ms"}};
    f.fix = "threads=" + std::to_string(want) + (want == c.run.cores ? " (or threads=0: all)" : "");
    f.settings = {{"threads", std::to_string(want)}};
    f.expected_gain_pct = gain;
    f.gain_how = "inference scaled by " + std::to_string(c.run.threads) + "/" +
                 std::to_string(want) + " threads at 80% parallel efficiency";
    out.push_back(f);
  }
}

}  // namespace ys::advisor_rules
