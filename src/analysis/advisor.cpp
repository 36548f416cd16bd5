#include "analysis/advisor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/clock.h"
#include "core/error.h"

namespace ys {
namespace {

// Thresholds (docs/ADVISOR.md says where each comes from).
constexpr double kBlankContrast = 5;       // luma stddev, gray levels of 255
constexpr double kStaticChange = 0.5;      // mean |luma change| between frames, gray levels
constexpr double kNoiseRoughness = 0.6;    // white noise ~1.1, camera footage and renders < 0.3
constexpr double kFloodCandidates = 1000;  // NMS candidates per image
constexpr double kHotSpotSharePct = 40;    // one layer's output, % of the arena peak
constexpr int64_t kHotSpotMinBytes = 4 << 20;
constexpr int64_t kHotSpotInputRatio = 2;   // ... and at least twice the model input
constexpr double kInputBoundSharePct = 30;  // read + preprocess, % of frame latency
constexpr double kSpikeRatio = 2;           // p99 over median
constexpr double kSpikeFrameRatio = 1.5;    // a frame above 1.5x the median is a spike
constexpr int64_t kSpikeMinFrames = 10;
constexpr double kPeriodicCorrelation = 0.5;
constexpr size_t kListedFrames = 20;
constexpr double kOutputBoundSharePct = 20;  // sinks, % of frame latency
// A single activation this large dominates memory whatever the model's design: imgsz=1024 and
// above for a YOLOv8n, whose first convolution holds 4/3 of the input.
constexpr int64_t kHotSpotLargeBytes = 16 << 20;
constexpr double kLowComputePct = 10;  // achieved share of the device's peak at batch 1
// Share of inference that threads=<free cores> saves when OpenMP threads outnumber the free
// cores, calibrated against what-if runs (docs/ADVISOR.md, "Calibration").
constexpr double kContendedGain = 0.5;
constexpr const char* kContendedGainHow =
    "half of inference (calibrated on what-if runs: OpenMP threads on a core that other work "
    "holds spin at every barrier until it is scheduled again)";

std::string fmt(double v, int digits = 1) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string mib(double bytes) {
  return fmt(bytes / 1048576.0, 1) + " MiB";
}

struct Context {
  const ProfileAnalysis& a;
  const InputStats& in;
  const RunFacts& run;
  double latency = 0;

  double stage(const char* name) const {
    for (const auto& s : a.stages) {
      if (s.name == name) return s.ms.median;
    }
    return 0;
  }
  double share(double ms) const { return latency > 0 ? 100.0 * ms / latency : 0; }
};

Finding make(const char* id, Severity sev, std::string finding) {
  Finding f;
  f.id = id;
  f.severity = sev;
  f.role = std::string(id).rfind("input.", 0) == 0 ? Role::kInput : Role::kCause;
  f.finding = std::move(finding);
  return f;
}

constexpr const char* kNoSpeedGain = "no speed gain: it makes the profiled window representative";

// ---- (a) input representativeness -------------------------------------------------------------

void input_rules(const Context& c, std::vector<Finding>& out) {
  const InputStats& in = c.in;
  if (in.frames == 0) return;
  const std::string n_frames = std::to_string(in.frames) + " measured frame(s)";
  bool blank = false;
  if (in.contrast.median < kBlankContrast) {
    blank = true;
    Finding f =
        make("input.blank", Severity::kWarning,
             "The input is blank or nearly constant (median contrast " + fmt(in.contrast.median) +
                 " of 255): the profile shows an empty scene, "
                 "not the deployment.");
    f.evidence = {{"contrast (luma stddev), median", in.contrast.median, "gray levels"},
                  {"brightness (mean luma), median", in.brightness.median, "gray levels"},
                  {"threshold", kBlankContrast, "gray levels"},
                  {"frames", static_cast<double>(in.frames), ""}};
    for (const auto& s : in.samples) {
      if (s.contrast < kBlankContrast && f.frames.size() < kListedFrames)
        f.frames.push_back(s.frame);
    }
    f.fix =
        "profile frames from the deployment camera (source=<video file or camera>); if this "
        "is the camera, check lens cap, exposure and cabling";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  }
  // A black video is static too; the blank finding already says why the window misleads.
  if (!blank && in.change.count >= 3 && in.change.median < kStaticChange) {
    Finding f =
        make("input.static", Severity::kWarning,
             "The video is static: frames barely change (median " + fmt(in.change.median, 2) +
                 " gray levels between frames), so every "
                 "frame costs the same and caches stay warm.");
    f.evidence = {{"change between frames, median", in.change.median, "gray levels"},
                  {"change between frames, max", in.change.max, "gray levels"},
                  {"threshold", kStaticChange, "gray levels"},
                  {"frame pairs", static_cast<double>(in.change.count), ""}};
    f.fix =
        "profile a stretch of footage with motion (another part of the video, "
        "profile_schedule=<wait>,<warmup>,<active> to move the window, or vid_stride=)";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  }
  if (!blank && in.roughness.median >= kNoiseRoughness) {
    Finding f =
        make("input.noise", Severity::kWarning,
             "The input looks like random noise (neighbouring pixels are uncorrelated, "
             "roughness " +
                 fmt(in.roughness.median, 2) +
                 "): no real scene, so detections and NMS load are not those of deployment.");
    f.evidence = {
        {"roughness (mean |neighbour difference| / contrast), median", in.roughness.median, ""},
        {"threshold (white noise ~1.1, camera footage < 0.3)", kNoiseRoughness, ""},
        {"contrast, median", in.contrast.median, "gray levels"},
        {"frames", static_cast<double>(in.frames), ""}};
    f.fix = "profile real images or video of the scene the model will see (source=<file>)";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  }
  if (c.run.synthetic_weights) {
    // Users of the built-in architectures know the weights are synthetic (the run says so); a
    // "no detections" warning would blame their input for what the weights do.
    Finding f = make("input.synthetic_weights", Severity::kInfo,
                     "The model has synthetic weights: detection counts, NMS and output costs "
                     "are not those of a trained model.");
    f.evidence = {{"detections per frame, median", in.detections.median, ""},
                  {"NMS candidates per frame, median", in.candidates.median, ""}};
    f.fix = "model=<trained model>.onnx for representative postprocessing figures";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  } else if (in.frames_with_detections == 0) {
    Finding f = make("input.no_detections", Severity::kWarning,
                     "No detections in " + n_frames +
                         ": NMS and output cost nothing here, unlike in deployment.");
    f.evidence = {{"frames with detections", 0, ""},
                  {"frames", static_cast<double>(in.frames), ""},
                  {"NMS candidates per frame, median", in.candidates.median, ""},
                  {"conf", c.run.conf, ""}};
    f.fix =
        "profile footage that shows the objects the model detects; if they are there, "
        "check conf= (now " +
        fmt(c.run.conf, 2) + ") and the model's classes";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  }
  if (in.candidates.median > kFloodCandidates) {
    Finding f = make("input.nms_flood", Severity::kWarning,
                     "The confidence threshold floods NMS: median " + fmt(in.candidates.median, 0) +
                         " candidates per frame (conf=" + fmt(c.run.conf, 3) + ").");
    const double post = c.stage("box_decode") + c.stage("nms");
    f.evidence = {{"NMS candidates per frame, median", in.candidates.median, ""},
                  {"threshold", kFloodCandidates, "candidates"},
                  {"conf", c.run.conf, ""},
                  {"box decode + NMS, median", post, "ms"}};
    if (c.run.conf < 0.25) {
      f.fix = "conf=0.25 (Ultralytics' default for prediction)";
      f.settings = {{"conf", "0.25"}};
    } else {
      f.fix =
          "check the model's output decoding: a trained model rarely scores over 1000 boxes "
          "above conf=" +
          fmt(c.run.conf, 2);
    }
    f.expected_gain_pct = 0.9 * c.share(post);
    f.gain_how =
        "90% of box decode + NMS: their work grows with the candidates, and a scene "
        "rarely has more than 100 above conf=0.25";
    out.push_back(f);
  }
}

// ---- (b) memory ------------------------------------------------------------------------------

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

// ---- (c) input and output pipeline ------------------------------------------------------------

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

// ---- (d) threads -----------------------------------------------------------------------------

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

// ---- (e) jitter ------------------------------------------------------------------------------

// The lag (>= 2) at which the spike indicator series correlates best with itself, and that
// correlation; a camera's keyframes or a periodic task show up as a clear peak.
std::pair<size_t, double> best_period(const std::vector<double>& x) {
  const size_t n = x.size();
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(n);
  double var = 0;
  for (double v : x) var += (v - mean) * (v - mean);
  std::pair<size_t, double> best{0, 0};
  if (var <= 0) return best;
  for (size_t lag = 2; lag <= n / 2; ++lag) {
    double s = 0;
    for (size_t i = 0; i + lag < n; ++i) s += (x[i] - mean) * (x[i + lag] - mean);
    // Normalised by the overlap so long lags are not penalised for having fewer pairs.
    const double r = s / var * static_cast<double>(n) / static_cast<double>(n - lag);
    if (r > best.second + 1e-9) best = {lag, r};
  }
  return best;
}

// The frames (positions in the series) of the longest run of spikes, a gap of one steady frame
// allowed inside it: a slow phase when it holds at least 3 frames and 80% of the spikes.
std::pair<size_t, size_t> longest_run(const std::vector<size_t>& idx) {
  std::pair<size_t, size_t> best{0, 0}, cur{0, 0};
  size_t best_n = 0, cur_n = 0;
  for (size_t k = 0; k < idx.size(); ++k) {
    if (k > 0 && idx[k] - idx[k - 1] <= 2) {
      cur.second = idx[k];
      ++cur_n;
    } else {
      cur = {idx[k], idx[k]};
      cur_n = 1;
    }
    if (cur_n > best_n) {
      best = cur;
      best_n = cur_n;
    }
  }
  return best;
}

void jitter_rules(const Context& c, std::vector<Finding>& out) {
  const auto& all = c.a.latency_ms;
  if (static_cast<int64_t>(all.size()) < kSpikeMinFrames) return;
  // The profiler's own start-up is no finding: those frames are left out of every figure here.
  const size_t skip = startup_transient_frames(all);
  const std::vector<double> lat(all.begin() + static_cast<std::ptrdiff_t>(skip), all.end());
  const Stats st = compute_stats(lat);
  const double med = st.median;
  if (med <= 0 || st.p99 < kSpikeRatio * med) return;
  std::vector<double> spike(lat.size(), 0.0);
  std::vector<size_t> idx;
  double excess = 0, inf_excess = 0, total = 0;
  const double inf_med = compute_stats(c.a.inference_ms).median;
  for (size_t i = 0; i < lat.size(); ++i) {
    total += lat[i];
    if (lat[i] > kSpikeFrameRatio * med) {
      spike[i] = 1;
      idx.push_back(i);
      excess += lat[i] - med;
      const size_t at = i + skip;
      if (at < c.a.inference_ms.size()) inf_excess += std::max(0.0, c.a.inference_ms[at] - inf_med);
    }
  }
  if (idx.size() < 2) return;
  auto frame = [&](size_t i) { return c.a.frame_index[i + skip]; };
  // A step or a burst is one stretch of slow frames, not a period: autocorrelation sees a
  // contiguous block as "periodic" at the smallest lag it tries.
  const auto [run_first, run_last] = longest_run(idx);
  size_t in_run = 0;
  for (size_t i : idx) in_run += i >= run_first && i <= run_last;
  const bool phase = in_run >= 3 && 5 * in_run >= 4 * idx.size();
  double phase_ms = 0, after_ms = 0;
  if (phase) {
    std::vector<double> inside, after;
    for (size_t i = run_first; i <= run_last; ++i) inside.push_back(lat[i]);
    for (size_t i = run_last + 1; i < lat.size(); ++i) after.push_back(lat[i]);
    phase_ms = compute_stats(inside).median;
    after_ms = after.empty() ? med : compute_stats(after).median;
  }
  const auto [lag, corr] = best_period(spike);
  // Correlation alone is fooled by three spikes; a period also needs spikes that repeat at it.
  size_t repeats = 0;
  for (size_t i = 0; lag > 0 && i + lag < spike.size(); ++i)
    repeats += spike[i] > 0 && spike[i + lag] > 0;
  const bool periodic = !phase && idx.size() >= 3 && corr >= kPeriodicCorrelation && repeats >= 2 &&
                        2 * repeats >= idx.size();
  const bool in_inference = inf_excess >= 0.5 * excess;
  std::string shape;
  if (phase) {
    shape = ", a slow phase from frame " + std::to_string(frame(run_first)) + " to " +
            std::to_string(frame(run_last)) + " (median " + fmt(phase_ms) + " ms, then " +
            fmt(after_ms) + " ms)";
  } else {
    shape = periodic ? ", every " + std::to_string(lag) + " frames" : ", not periodic";
  }
  Finding f = make("latency.spikes", Severity::kWarning,
                   std::to_string(idx.size()) + " latency spike(s): p99 " + fmt(st.p99) +
                       " ms against a median of " + fmt(med) + " ms" + shape + ", mostly " +
                       (in_inference ? "inside inference." : "outside inference."));
  f.role = Role::kSymptom;
  f.evidence = {
      {"latency, median", med, "ms"},
      {"latency, p99", st.p99, "ms"},
      {"latency, max", st.max, "ms"},
      {"spike frames (> 1.5x median)", static_cast<double>(idx.size()), ""},
      {"best autocorrelation of spikes", corr, ""},
      {"at lag", static_cast<double>(lag), "frames"},
      {"share of the excess inside inference", excess > 0 ? 100 * inf_excess / excess : 0, "%"}};
  if (skip > 0)
    f.evidence.push_back({"profiler start-up frames left out", static_cast<double>(skip), ""});
  for (size_t i : idx) {
    if (f.frames.size() < kListedFrames) f.frames.push_back(frame(i));
  }
  if (phase) {
    f.fix = in_inference
                ? "something held the inference cores from frame " +
                      std::to_string(frame(run_first)) + " to " + std::to_string(frame(run_last)) +
                      ": another process or a burst of other work (check what ran "
                      "then; pin inference away from it with taskset)"
                : "decoding or output stalled from frame " + std::to_string(frame(run_first)) +
                      " to " + std::to_string(frame(run_last)) +
                      " (a slow source, a full disk or network sink)";
  } else if (periodic) {
    f.fix = "something runs every " + std::to_string(lag) + " frames: " +
            (in_inference ? "look for a periodic task on the same cores (logging, a timer, "
                            "another process) and pin inference away from it (taskset)"
                          : "video keyframes (decode cost) or a periodic flush of outputs; "
                            "decode on its own thread or buffer outputs");
  } else {
    f.fix = in_inference ? "keep other work off the inference cores (taskset, threads= below the "
                           "core count) and profile longer to see whether spikes persist"
                         : "decode and write outputs on their own threads so their stalls do "
                           "not reach the frame";
  }
  f.expected_gain_pct = total > 0 ? 100.0 * excess / total : 0;
  f.gain_how = "throughput: the spikes' time above the median, as a share of the window";
  out.push_back(f);
}

// A symptom whose cause is among the findings says so, and points at the cause's fix.
void link_symptoms(std::vector<Finding>& out) {
  const Finding* cause = nullptr;
  for (const Finding& f : out) {
    if (f.id == "threads.oversubscribed" || f.id == "threads.contended") cause = &f;
  }
  if (!cause) return;
  for (Finding& f : out) {
    if (f.id != "latency.spikes" || f.finding.find("inside inference") == std::string::npos)
      continue;
    f.symptom_of = cause->id;
    f.finding += " Likely a symptom of " + cause->id + ".";
    f.fix = "take " + cause->id + "'s fix (" + cause->fix + ") first, then profile again";
    // The cause's gain already counts these frames' excess.
    f.expected_gain_pct = 0;
    f.gain_how = "counted in " + cause->id + "'s gain";
  }
}

// ---- (f) GPU ---------------------------------------------------------------------------------

void gpu_rules(const Context& c, std::vector<Finding>& out) {
  if (!c.run.on_gpu() || !c.run.gpu) return;
  const GpuFacts& g = *c.run.gpu;
  const double inf = c.stage("inference");
  const std::string gpu_name = g.name.value_or("the GPU");
  const bool many_small = g.kernels_per_frame && g.kernels_per_frame.value() >= 100 &&
                          ((g.median_kernel_us && g.median_kernel_us.value() < 20) ||
                           (g.launch_gap_pct && g.launch_gap_pct.value() >= 30));
  const bool host_bound = g.host_launch_pct && g.host_launch_pct.value() >= 60;
  const bool launch_bound = !c.run.cuda_graph && (many_small || host_bound);
  if (!c.run.half && g.tensor_cores.value_or(false)) {
    Finding f = make("gpu.fp32_tensor_cores", Severity::kWarning,
                     "FP32 inference on " + gpu_name + ", which has tensor cores for FP16.");
    f.evidence = {{"half", 0, ""}, {"inference, median", inf, "ms"}};
    f.fix = "half=True";
    f.settings = {{"half", "True"}};
    // While the host's launches set the pace, faster kernels change nothing; the gain of FP16
    // shows once the launch-bound finding's fix is in, so that is what both sides run with.
    if (launch_bound) {
      f.baseline_settings = {{"cuda_graph", "True"}};
      f.fix = "half=True, with cuda_graph=True (see gpu.launch_bound)";
    }
    // Calibrated on the H200 traces (tests/fixtures/gpu): YOLOv8n's inference under a graph,
    // 2.95 ms in FP32 and 0.81 ms in FP16.
    f.expected_gain_pct = 0.7 * c.share(inf);
    f.gain_how =
        "70% of inference: recorded FP32 -> FP16 with a CUDA Graph on an H200, 2.95 -> "
        "0.81 ms";
    out.push_back(f);
  }
  if (launch_bound) {
    Finding f =
        make("gpu.launch_bound", Severity::kWarning,
             g.kernels_per_frame
                 ? "Inference is launch-bound: " + fmt(g.kernels_per_frame.value(), 0) +
                       " small kernels per frame with idle gaps, no CUDA Graph."
                 : "Inference is launch-bound: enqueueing the ops on the host takes " +
                       fmt(g.host_launch_pct.value(), 0) + "% of inference, no CUDA Graph.");
    if (g.kernels_per_frame) f.evidence.push_back({"kernels per frame", *g.kernels_per_frame, ""});
    if (g.median_kernel_us) f.evidence.push_back({"kernel, median", *g.median_kernel_us, "us"});
    if (g.launch_gap_pct)
      f.evidence.push_back({"GPU idle between kernels", *g.launch_gap_pct, "%"});
    if (g.host_launch_pct)
      f.evidence.push_back({"host enqueue time, share of inference", *g.host_launch_pct, "%"});
    f.fix = "cuda_graph=True (or batch= to make kernels larger)";
    f.settings = {{"cuda_graph", "True"}};
    // Without a kernel trace, the host's share beyond what the kernels need is unknown; half
    // of it is the usual saving of a graph over eager launches of a few hundred small kernels.
    const double gap = g.launch_gap_pct.value_or(0.5 * g.host_launch_pct.value_or(60));
    f.expected_gain_pct = 0.8 * c.share(inf) * gap / 100.0;
    f.gain_how = g.launch_gap_pct
                     ? "80% of the idle gaps inside inference, which a graph launch removes"
                     : "80% of half the host's launch time, which one graph launch replaces";
    out.push_back(f);
  }
  const double blocked = g.host_blocked_ms_per_frame.value_or(0);
  if (g.pageable_copy_bytes_per_frame.value_or(0) > 0 || c.share(blocked) >= 10) {
    Finding f = make("gpu.pageable_copies", Severity::kWarning,
                     "Host-device copies go through pageable memory or block the host (" +
                         fmt(blocked) + " ms per frame).");
    if (g.pageable_copy_bytes_per_frame)
      f.evidence.push_back({"pageable bytes per frame", *g.pageable_copy_bytes_per_frame, "bytes"});
    if (g.copy_ms_per_frame) f.evidence.push_back({"copies per frame", *g.copy_ms_per_frame, "ms"});
    f.evidence.push_back({"host blocked per frame", blocked, "ms"});
    if (c.run.gpu_pipeline) {
      f.fix =
          "allocate the input and output host buffers pinned (cudaHostAlloc) and copy the "
          "output asynchronously (cudaMemcpyAsync on the inference stream, synchronise only "
          "before postprocess)";
      f.expected_gain_pct = c.share(0.5 * g.copy_ms_per_frame.value_or(0) + 0.5 * blocked);
      f.gain_how = "half the copy and blocking time: pinned copies run about 2x faster and overlap";
    } else {
      // The host pipeline is the source of the pageable copies: letterbox and box decoding on
      // the CPU, the float32 tensors both ways. The GPU pipeline takes all of it.
      const double host = c.stage("preprocess") + c.stage("box_decode");
      f.finding =
          "The pipeline runs on the host (gpu_pipeline=False): preprocess and box "
          "decoding take " +
          fmt(host, 2) + " ms per frame on the CPU and " +
          mib(g.pageable_copy_bytes_per_frame.value_or(0)) +
          " per frame goes through pageable copies.";
      f.evidence.push_back({"preprocess + box decode on the host, median", host, "ms"});
      f.fix = "gpu_pipeline=True (pinned staging, 8-bit upload, only detections copied back)";
      f.settings = {{"gpu_pipeline", "True"}};
      f.expected_gain_pct =
          c.share(0.5 * g.copy_ms_per_frame.value_or(0) + 0.5 * blocked + 0.8 * host);
      f.gain_how =
          "half the copy and blocking time, and 80% of preprocess and box decoding (recorded "
          "on an H200: 2.9 + 1.2 ms on the host, 0.24 + 0.15 ms in the GPU pipeline)";
    }
    out.push_back(f);
  }
  const bool idle = g.busy_pct && g.busy_pct.value() < 50;
  const bool small = g.compute_pct && g.compute_pct.value() < kLowComputePct;
  if (c.run.batch == 1 && (idle || small)) {
    const bool room = !g.memory_total_bytes || !g.memory_used_bytes ||
                      g.memory_used_bytes.value() * 4 < g.memory_total_bytes.value();
    if (room) {
      Finding f = make("gpu.low_utilization", Severity::kInfo,
                       idle ? gpu_name + " is busy " + fmt(g.busy_pct.value(), 0) +
                                  "% of inference, with memory to spare for batching."
                            : gpu_name + " reaches " + fmt(g.compute_pct.value(), 1) +
                                  "% of its peak compute at batch 1, with memory to spare "
                                  "for batching.");
      if (g.busy_pct) f.evidence.push_back({"GPU busy, share of inference", *g.busy_pct, "%"});
      if (g.compute_pct)
        f.evidence.push_back({"achieved compute, share of peak", *g.compute_pct, "%"});
      f.evidence.push_back({"batch", 1, ""});
      if (g.memory_used_bytes)
        f.evidence.push_back({"memory used", double(*g.memory_used_bytes), "bytes"});
      if (g.memory_total_bytes)
        f.evidence.push_back({"memory total", double(*g.memory_total_bytes), "bytes"});
      f.fix = "batch=4 (throughput; latency per batch grows)";
      f.settings = {{"batch", "4"}};
      // Recorded on the H200: YOLOv8n's inference per image fell from 0.81 ms at batch 1 to
      // 0.14 ms at batch 8 (tests/fixtures/gpu); half of it is the conservative figure for 4.
      const double idle_share = idle ? 1.0 - g.busy_pct.value() / 100.0 : 1.0;
      f.expected_gain_pct = 0.5 * c.share(inf) * idle_share;
      f.gain_how = idle
                       ? "throughput: half of the GPU's idle share of inference, filled by batching"
                       : "throughput: half of inference per image (recorded: 0.81 ms at batch 1, "
                         "0.14 ms per image at batch 8 on an H200)";
      out.push_back(f);
    }
  }
  if (g.throttled_pct && g.throttled_pct.value() >= 5) {
    Finding f = make("gpu.throttling", Severity::kWarning,
                     gpu_name + " lowered its clocks (" + g.throttle_reason.value_or("throttling") +
                         ") in " + fmt(g.throttled_pct.value(), 0) + "% of the window.");
    f.evidence = {{"throttled samples", g.throttled_pct.value(), "%"}};
    if (g.sm_clock_min_mhz) f.evidence.push_back({"SM clock, min", *g.sm_clock_min_mhz, "MHz"});
    if (g.sm_clock_max_mhz) f.evidence.push_back({"SM clock, max", *g.sm_clock_max_mhz, "MHz"});
    f.fix =
        "improve cooling or airflow, or raise the power limit (nvidia-smi -pl) within the "
        "card's rating";
    double loss = 0.3;
    if (g.sm_clock_min_mhz && g.sm_clock_max_mhz && *g.sm_clock_max_mhz > 0)
      loss = 1.0 - *g.sm_clock_min_mhz / *g.sm_clock_max_mhz;
    f.expected_gain_pct = c.share(inf) * g.throttled_pct.value() / 100.0 * loss;
    f.gain_how = "inference time lost to the lower clock in the throttled share of the window";
    out.push_back(f);
  }
}

int severity_rank(Severity s) {
  return static_cast<int>(s);
}

}  // namespace

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

GpuFacts gpu_facts(const GpuAnalysis& gpu, const ProfileAnalysis& a) {
  GpuFacts g;
  if (!gpu.device.name.empty()) g.name = gpu.device.name;
  if (gpu.device.sm_count > 0) g.tensor_cores = gpu.device.tensor_cores;
  if (gpu.kernels > 0) {
    g.kernels_per_frame = gpu.kernels_per_frame.median;
    g.median_kernel_us = gpu.kernel_us.median;
    g.launch_gap_pct = gpu.launch_bound_pct;
    g.busy_pct = gpu.busy_pct;
    g.copy_ms_per_frame = gpu.copy_ms_per_frame;
    g.pageable_copy_bytes_per_frame = gpu.pageable_bytes_per_frame;
    g.host_blocked_ms_per_frame = gpu.host_wait_outside_inference_ms_per_frame;
  }
  double weighted = 0, layer_ms = 0;
  for (const GpuLayerStat& l : gpu.layers) {
    weighted += l.pct_peak_compute * l.ms.median;
    layer_ms += l.ms.median;
  }
  if (layer_ms > 0 && weighted > 0) g.compute_pct = weighted / layer_ms;
  // Eager runs time each op's enqueue on the host; a graph run's first op launches everything,
  // so the sum says nothing there and the caller's cuda_graph fact keeps the rule silent.
  double enqueue_ms = 0, inference_ms = 0;
  for (const OpResult& op : a.ops) enqueue_ms += op.ms.median;
  for (const StageResult& s : a.stages)
    if (s.name == "inference") inference_ms = s.ms.median;
  if (enqueue_ms > 0 && inference_ms > 0) g.host_launch_pct = 100.0 * enqueue_ms / inference_ms;
  if (gpu.nvml) {
    g.throttled_pct = gpu.throttled_pct;
    if (!gpu.throttle_reasons.empty()) g.throttle_reason = gpu.throttle_reasons;
    if (gpu.sm_clock_max_mhz > 0) {
      g.sm_clock_min_mhz = gpu.sm_clock_min_mhz;
      g.sm_clock_max_mhz = gpu.sm_clock_max_mhz;
    }
    if (gpu.mem_used_max_mib > 0) g.memory_used_bytes = int64_t(gpu.mem_used_max_mib * 1048576.0);
  }
  if (gpu.device.memory_bytes > 0) g.memory_total_bytes = gpu.device.memory_bytes;
  return g;
}

bool RunFacts::on_gpu() const {
  return !device.empty() && device != "cpu";
}

std::vector<Finding> advise(const ProfileAnalysis& a, const InputStats& input,
                            const RunFacts& run) {
  Context c{a, input, run};
  c.latency = a.latency.median;
  if (c.latency <= 0) {
    for (const auto& s : a.stages) c.latency += s.ms.median;
  }
  std::vector<Finding> out;
  input_rules(c, out);
  memory_rules(c, out);
  pipeline_rules(c, out);
  thread_rules(c, out);
  jitter_rules(c, out);
  gpu_rules(c, out);
  link_symptoms(out);
  order_findings(out);
  return out;
}

void order_findings(std::vector<Finding>& findings) {
  for (Finding& f : findings) {
    if (f.refuted || !f.measured_gain_pct || *f.measured_gain_pct >= kRefutedBelowPct) continue;
    f.refuted = true;
    f.fix.clear();
  }
  // A symptom cannot point at a fix its what-if withdrew.
  for (Finding& f : findings) {
    if (f.symptom_of.empty()) continue;
    for (const Finding& cause : findings) {
      if (cause.id != f.symptom_of || !cause.refuted) continue;
      f.fix = "the what-if refuted " + cause.id +
              "'s fix: look for what else holds the inference cores (other processes, a "
              "periodic task) and pin inference away from it (taskset)";
      f.symptom_of.clear();
    }
  }
  auto rank = [](const Finding& f) {
    if (f.refuted) return 3;
    return f.role == Role::kInput ? 0 : f.role == Role::kCause ? 1 : 2;
  };
  auto gain = [](const Finding& f) { return f.measured_gain_pct.value_or(f.expected_gain_pct); };
  std::stable_sort(findings.begin(), findings.end(), [&](const Finding& x, const Finding& y) {
    if (rank(x) != rank(y)) return rank(x) < rank(y);
    if (gain(x) != gain(y)) return gain(x) > gain(y);
    return severity_rank(x.severity) > severity_rank(y.severity);
  });
}

size_t startup_transient_frames(const std::vector<double>& latency_ms) {
  const size_t n = latency_ms.size();
  const size_t most = std::min<size_t>(3, n / 10);
  if (most == 0) return 0;
  const double med =
      compute_stats(std::vector<double>(latency_ms.begin() + static_cast<std::ptrdiff_t>(most),
                                        latency_ms.end()))
          .median;
  size_t k = 0;
  while (k < most && latency_ms[k] > kSpikeFrameRatio * med) ++k;
  return k;
}

std::string verdict_text(const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    if (f.refuted) continue;
    const char* lead = f.role == Role::kInput ? "First, the input: " : "Top cause: ";
    return lead + f.id + ": " + f.finding;
  }
  return {};
}

std::string gain_summary(const Finding& f) {
  std::string s;
  if (f.expected_gain_pct > 0) s = "expected gain " + fmt(f.expected_gain_pct) + "%";
  if (f.measured_gain_pct) {
    s += (s.empty() ? "" : ", ") + std::string("measured ") +
         (*f.measured_gain_pct >= 0 ? "+" : "") + fmt(*f.measured_gain_pct) + "%";
  }
  if (f.refuted) s += ": refuted, not advised";
  return s;
}

std::string evidence_text(const Finding& f) {
  std::string s;
  for (const auto& e : f.evidence) {
    if (!s.empty()) s += "; ";
    const bool whole = std::fabs(e.value - std::round(e.value)) < 1e-9 && std::fabs(e.value) >= 1;
    s += e.name + " " + (e.unit == "bytes" ? mib(e.value) : fmt(e.value, whole ? 0 : 2));
    if (!e.unit.empty() && e.unit != "bytes") s += (e.unit == "%" ? "" : " ") + e.unit;
  }
  if (!f.frames.empty()) {
    s += s.empty() ? "frames " : "; frames ";
    for (size_t i = 0; i < f.frames.size(); ++i) s += (i ? ", " : "") + std::to_string(f.frames[i]);
  }
  return s;
}

std::string gain_text(const Finding& f) {
  std::string s = f.expected_gain_pct > 0 ? fmt(f.expected_gain_pct) +
                                                "% of frame latency (estimate: " + f.gain_how + ")"
                                          : f.gain_how;
  if (f.measured_gain_pct) {
    s += std::string("; measured: ") + (*f.measured_gain_pct >= 0 ? "+" : "") +
         fmt(*f.measured_gain_pct) + "% (" + f.measured_how + ")";
    if (f.refuted)
      s += *f.measured_gain_pct < 0 ? "; refuted: the change made frames slower"
                                    : "; refuted: the change gained nothing measurable";
  } else if (!f.measured_how.empty()) {
    s += "; what-if: " + f.measured_how;
  }
  return s;
}

namespace {

// Median per-frame milliseconds of detect_batch over `frames`, in the detector's batch size.
void time_pass(Detector& d, const std::vector<Tensor>& frames, size_t count,
               std::vector<double>& per_frame) {
  const size_t b = static_cast<size_t>(std::max(1, d.batch()));
  for (size_t i = 0; i < count; i += b) {
    std::vector<const Tensor*> ptrs;
    for (size_t k = i; k < std::min(count, i + b); ++k) ptrs.push_back(&frames[k]);
    const int64_t t0 = now_ns();
    d.detect_batch(ptrs);
    const double ms = static_cast<double>(now_ns() - t0) / 1e6 / static_cast<double>(ptrs.size());
    for (size_t k = 0; k < ptrs.size(); ++k) per_frame.push_back(ms);
  }
}

// Applies one setting to detector options; returns why it cannot be tried, or "".
std::string apply_setting(DetectorOptions& o, const Setting& setting, bool gpu_available) {
  const auto& [key, value] = setting;
  if (key == "threads") {
    o.threads = std::stoi(value);
  } else if (key == "batch") {
    o.batch = std::stoi(value);
  } else if (key == "conf") {
    o.nms.conf = std::stof(value);
  } else if (!gpu_available) {
    return key + "= needs a CUDA device";
  } else if (key == "half") {
    o.half = value == "True";
  } else if (key == "cuda_graph") {
    o.cuda_graph = value == "True";
  } else if (key == "gpu_pipeline") {
    o.gpu_pipeline = value == "True";
  } else {
    return "the detector takes no " + key + " option in this build";
  }
  return {};
}

std::string settings_text(const std::vector<Setting>& settings) {
  std::string s;
  for (const auto& [key, value] : settings) s += (s.empty() ? "" : " ") + key + "=" + value;
  return s;
}

}  // namespace

void verify_finding(Finding& f, Detector& baseline, const std::vector<Tensor>& frames,
                    double latency_ms, bool gpu_available) {
  if (f.settings.empty()) return;
  if (frames.empty() || latency_ms <= 0) {
    f.measured_how = "not tried: no frames of the window were kept";
    return;
  }
  DetectorOptions base_o = baseline.options();
  for (const Setting& s : f.baseline_settings) {
    const std::string why = apply_setting(base_o, s, gpu_available);
    if (!why.empty()) {
      f.measured_how = "not tried: " + why;
      return;
    }
  }
  DetectorOptions o = base_o;
  for (const Setting& s : f.settings) {
    const std::string why = apply_setting(o, s, gpu_available);
    if (!why.empty()) {
      f.measured_how = "not tried: " + why;
      return;
    }
  }
  try {
    std::unique_ptr<Detector> own_base;
    if (!f.baseline_settings.empty()) own_base = std::make_unique<Detector>(base_o);
    Detector& base = own_base ? *own_base : baseline;
    Detector variant(o);
    std::vector<double> warm, base_ms, var_ms;
    const size_t n = frames.size();
    // Three frames of warm-up: a CUDA Graph is captured on a detector's second run.
    time_pass(base, frames, std::min<size_t>(3, n), warm);
    time_pass(variant, frames, std::min<size_t>(3, n), warm);
    // Alternating which runs first cancels slow drift (clocks, other load) between the two.
    for (int round = 0; round < 2; ++round) {
      if (round % 2 == 0) {
        time_pass(base, frames, n, base_ms);
        time_pass(variant, frames, n, var_ms);
      } else {
        time_pass(variant, frames, n, var_ms);
        time_pass(base, frames, n, base_ms);
      }
    }
    const double b = compute_stats(base_ms).median, v = compute_stats(var_ms).median;
    f.measured_gain_pct = 100.0 * (b - v) / latency_ms;
    f.measured_how = "detection " + fmt(b) + " -> " + fmt(v) + " ms per frame with " +
                     settings_text(f.settings) +
                     (f.baseline_settings.empty()
                          ? std::string()
                          : " (" + settings_text(f.baseline_settings) + " on both sides)") +
                     ", median over " + std::to_string(n) +
                     " recorded frames x 2 rounds, alternating";
  } catch (const std::exception& e) {
    f.measured_how = std::string("not tried: ") + e.what();
  }
}

}  // namespace ys
