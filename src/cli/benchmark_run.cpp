#include "cli/benchmark_run.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "analysis/profile_analysis.h"
#include "backends/cpu/cpu_calibration.h"
#include "cli/detector_options.h"
#include "cli/load_detector.h"
#include "core/clock.h"
#include "core/error.h"
#include "pipeline/build_info.h"
#include "pipeline/source.h"
#include "profiler/environment.h"
#include "profiler/gpu_device_info.h"
#include "profiler/profiler.h"

namespace ys {
namespace {

// The calibration runs 5 times after the warm-up and then after every 2nd measured frame: about
// 1.5% of a CPU frame's time at 320x320.
constexpr int kCalibrationEvery = 2;
constexpr int kCalibrationFirst = 5;

void spin_for_ns(int64_t ns) {
  const int64_t end = now_ns() + ns;
  while (now_ns() < end) {
  }
}

double parse_fraction(const std::string& text, const char* variable) {
  char* end = nullptr;
  const double f = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(f >= 0) || f > 10)
    fail(ErrorKind::kInvalidArgument, variable, "=", text,
         ": the fraction must be a number from 0 to 10 (0.2: 20% slower)");
  return f;
}

// The test hooks (see the header): forwards the profiler's hooks and, around the planted layer's
// ops and the preprocess stage, spins for the configured fraction of the time they took.
class TestHooks final : public OpObserver, public StageObserver {
 public:
  Profiler* profiler = nullptr;
  bool trace_ops = false;       // this frame's ops go to the profiler
  std::vector<char> slow_step;  // per execution step; empty: no layer hook
  double layer_fraction = 0;
  double preprocess_fraction = 0;  // 0: no preprocess hook

  void on_op_begin(size_t step) override {
    if (trace_ops) profiler->on_op_begin(step);
    if (slow_step[step]) op_begin_ns_ = now_ns();
  }
  void on_op_end(size_t step) override {
    // Before the profiler's end, so the measured op includes the planted time.
    if (slow_step[step])
      spin_for_ns(
          static_cast<int64_t>(static_cast<double>(now_ns() - op_begin_ns_) * layer_fraction));
    if (trace_ops) profiler->on_op_end(step);
  }
  void stage_begin(PipelineStage s) override {
    profiler->stage_begin(s);
    if (s == PipelineStage::kPreprocess) stage_begin_ns_ = now_ns();
  }
  void stage_end(PipelineStage s) override {
    if (s == PipelineStage::kPreprocess && preprocess_fraction > 0)
      spin_for_ns(static_cast<int64_t>(static_cast<double>(now_ns() - stage_begin_ns_) *
                                       preprocess_fraction));
    profiler->stage_end(s);
  }

 private:
  int64_t op_begin_ns_ = 0, stage_begin_ns_ = 0;
};

// Unique names: a label repeated in a graph without module indices gets its id appended.
std::vector<std::string> layer_names(const std::vector<LayerResult>& layers) {
  std::vector<std::string> names;
  for (const LayerResult& l : layers) {
    std::string n = l.label.empty() ? l.id : l.label;
    if (std::count(names.begin(), names.end(), n)) n += " (" + l.id + ")";
    names.push_back(n);
  }
  return names;
}

}  // namespace

struct BenchmarkRun::State {
  State(const Config& c, std::string side)
      : config(c),
        label(std::move(side)),
        options(detector_options(c)),
        det(load_detector(options)),
        on_cpu(det.executor().backend().device() == DeviceKind::kCpu),
        layers(group_layers(det.executor().graph())),
        frames(c.get_int("frames")),
        profiler(ProfileSchedule{0, kBenchmarkWarmupFrames, frames, 1},
                 det.executor().steps().size()) {}

  Config config;
  std::string label;
  DetectorOptions options;
  Detector det;
  bool on_cpu;
  std::vector<LayerResult> layers;
  int frames;
  Profiler profiler;
  std::unique_ptr<Source> source;
  TestHooks hooks;
  bool hooked = false;
  CpuCalibration calibration;
  std::vector<double> calibration_ms;
  int64_t index = 0;
  int measured = 0;
  bool ended = false;
  int threads_used = 0;
  std::vector<std::string> notes;
};

BenchmarkRun::BenchmarkRun(const Config& c, std::string label)
    : s_(std::make_unique<State>(c, std::move(label))) {
  State& s = *s_;
  SourceSpec spec;
  spec.source = c.get_string("source");
  spec.synthetic_frames = s.frames + kBenchmarkWarmupFrames;
  spec.vid_stride = c.get_int("vid_stride");
  spec.max_pixels = c.get_int("max_pixels");
  const std::vector<int> raw = c.get_int_list("raw_size");
  if (raw.size() == 2) {
    spec.raw_width = raw[0];
    spec.raw_height = raw[1];
  }
  s.source = open_source(spec);

  s.hooks.profiler = &s.profiler;
  s.hooks.slow_step.assign(s.det.executor().steps().size(), 0);
  const char* side = std::getenv("YOLOSCOPE_TEST_HOOK_SIDE");
  const bool this_side = !side || !*side || s.label == side;
  if (const char* v = std::getenv("YOLOSCOPE_TEST_SLOW_LAYER"); this_side && v && *v) {
    const std::string text = v;
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos)
      fail(ErrorKind::kInvalidArgument, "YOLOSCOPE_TEST_SLOW_LAYER=", text,
           ": expected <layer>:<fraction>, e.g. 'C2f #2:0.2'");
    const std::string layer = text.substr(0, colon);
    s.hooks.layer_fraction = parse_fraction(text.substr(colon + 1), "YOLOSCOPE_TEST_SLOW_LAYER");
    const std::vector<std::string> names = layer_names(s.layers);
    const auto it = std::find(names.begin(), names.end(), layer);
    if (it == names.end())
      fail(ErrorKind::kInvalidArgument, "YOLOSCOPE_TEST_SLOW_LAYER: the model has no layer '",
           layer, "' (its layers are named as in the benchmark file, e.g. '", names.front(), "')");
    for (size_t step : s.layers[static_cast<size_t>(it - names.begin())].steps)
      s.hooks.slow_step[step] = 1;
    s.hooked = true;
    s.notes.push_back("TEST HOOK: layer " + layer + " slowed by " + text.substr(colon + 1));
  }
  if (const char* v = std::getenv("YOLOSCOPE_TEST_SLOW_PREPROCESS"); this_side && v && *v) {
    s.hooks.preprocess_fraction = parse_fraction(v, "YOLOSCOPE_TEST_SLOW_PREPROCESS");
    s.hooked = true;
    s.notes.push_back(std::string("TEST HOOK: preprocess slowed by ") + v);
  }
  s.det.set_stage_observer(s.hooked ? static_cast<StageObserver*>(&s.hooks) : &s.profiler);

  // One batch before anything counts (first-touch memory, oneDNN's kernel generation); it also
  // leaves this thread's OpenMP count at the inference's for the calibration.
  const Shape& in = s.det.model().input_shape;
  const Tensor blank(DType::kUInt8, {in[2], in[3], 3});
  s.det.detect_batch(std::vector<const Tensor*>(static_cast<size_t>(s.det.batch()), &blank));
  s.threads_used = s.on_cpu ? CpuCalibration::threads() : 0;
  for (int i = 0; i < kCalibrationFirst; ++i) s.calibration_ms.push_back(s.calibration.run_ms());
}

BenchmarkRun::~BenchmarkRun() = default;

bool BenchmarkRun::done() const {
  return s_->ended || s_->measured >= s_->frames;
}

bool BenchmarkRun::step() {
  State& s = *s_;
  if (done()) return false;
  const bool traced = s.profiler.begin_frame(s.index) && s.on_cpu;
  const bool measuring = s.profiler.measuring();
  s.hooks.trace_ops = traced;
  s.det.set_op_observer(s.hooked ? static_cast<OpObserver*>(&s.hooks)
                        : traced ? static_cast<OpObserver*>(&s.profiler)
                                 : nullptr);
  s.profiler.stage_begin(PipelineStage::kRead);
  std::vector<Frame> batch;
  while (static_cast<int>(batch.size()) < s.det.batch()) {
    Frame f;
    if (!s.source->next(f)) break;
    batch.push_back(std::move(f));
  }
  s.profiler.stage_end(PipelineStage::kRead);
  if (batch.empty()) {
    s.profiler.discard_frame();
    s.profiler.end_frame();
    s.ended = true;
    return false;
  }
  std::vector<const Tensor*> images;
  for (const Frame& f : batch) images.push_back(&f.image);
  s.det.detect_batch(images);
  s.profiler.end_frame();
  s.det.set_op_observer(nullptr);
  s.index += static_cast<int64_t>(batch.size());
  if (measuring && ++s.measured % kCalibrationEvery == 0)
    s.calibration_ms.push_back(s.calibration.run_ms());
  return !done();
}

std::string BenchmarkRun::describe() const {
  const State& s = *s_;
  const Shape& in = s.det.model().input_shape;
  std::string d = s.det.model().name + " on " + s.det.executor().backend().name();
  if (s.on_cpu) d += " (" + std::to_string(s.threads_used) + " threads)";
  return d + ", " + std::to_string(in[2]) + "x" + std::to_string(in[3]) + ", batch " +
         std::to_string(s.det.batch());
}

BenchmarkRecord BenchmarkRun::finish() {
  State& s = *s_;
  BenchmarkRecord r;
  r.created = utc_now();
  const Environment env = collect_environment();
  r.machine["cpu_model"] = env.cpu_model;
  r.machine["cores"] = std::to_string(env.cores);
  r.machine["os"] = env.os;
  r.machine["compiler"] = env.compiler;
  for (const auto& [k, v] : env.libraries) r.machine["library." + k] = v;
  for (const auto& [k, v] : library_versions()) r.machine["library." + k] = v;
  if (!s.on_cpu) {
    std::string why;
    const int device = std::atoi(s.options.device.c_str());
    if (const std::optional<GpuDeviceInfo> g = query_gpu_device(device, &why))
      r.machine["gpu"] = g->name + " (sm_" + std::to_string(g->cc_major) +
                         std::to_string(g->cc_minor) + ", " + std::to_string(g->sm_count) + " SMs)";
  }
  const ModelDescription& m = s.det.model();
  const Shape& in = m.input_shape;
  r.workload["model"] = m.name;
  r.workload["model_sha256"] =
      m.path == "built-in" ? "built-in " + m.name + " (synthetic weights)" : sha256_file(m.path);
  r.workload["imgsz"] = std::to_string(in[2]) + "x" + std::to_string(in[3]);
  r.workload["batch"] = std::to_string(s.det.batch());
  r.workload["device"] = s.det.executor().backend().name();
  r.workload["half"] = s.options.half ? "True" : "False";
  r.workload["threads"] = std::to_string(s.options.threads);
  if (s.on_cpu) r.workload["threads_used"] = std::to_string(s.threads_used);
  r.workload["source"] = s.config.get_string("source");
  r.calibration_method = s.calibration.method();
  r.calibration_ms = s.calibration_ms;
  r.batch = s.det.batch();
  r.notes = s.notes;

  const auto& frames = s.profiler.frames();
  r.frames = static_cast<int64_t>(frames.size());
  std::vector<double> total;
  for (size_t st = 0; st < kPipelineStageCount; ++st) {
    BenchmarkSeries series{pipeline_stage_name(static_cast<PipelineStage>(st)), {}};
    for (const FrameRecord& f : frames)
      if (f.begin_ns[st] != 0 && f.end_ns[st] >= f.begin_ns[st])
        series.ms.push_back(static_cast<double>(f.end_ns[st] - f.begin_ns[st]) / 1e6);
    if (!series.ms.empty()) r.stages.push_back(std::move(series));
  }
  BenchmarkSeries whole{"frame", {}};
  for (const FrameRecord& f : frames) {
    int64_t first = 0, last = 0;
    for (size_t st = 0; st < kPipelineStageCount; ++st) {
      if (f.begin_ns[st] == 0) continue;
      first = first == 0 ? f.begin_ns[st] : std::min(first, f.begin_ns[st]);
      last = std::max(last, f.end_ns[st]);
    }
    if (first != 0 && last >= first) whole.ms.push_back(static_cast<double>(last - first) / 1e6);
  }
  r.stages.push_back(std::move(whole));

  if (s.on_cpu) {
    const std::vector<std::string> names = layer_names(s.layers);
    const std::vector<int64_t>& ops = s.profiler.op_times();
    for (size_t i = 0; i < s.layers.size(); ++i) {
      BenchmarkSeries series{names[i], {}};
      for (const FrameRecord& f : frames) {
        if (!f.ops_traced) continue;
        int64_t ns = 0;
        for (size_t step : s.layers[i].steps)
          ns += ops[f.op_offset + 2 * step + 1] - ops[f.op_offset + 2 * step];
        series.ms.push_back(static_cast<double>(ns) / 1e6);
      }
      r.layers.push_back(std::move(series));
    }
  } else {
    r.notes.push_back(
        "layers are timed on the CPU backend only: on a GPU the host's time around "
        "an op is its launch, not its work");
  }
  if (s.ended && s.measured < s.frames)
    r.notes.push_back("the source ended after " + std::to_string(s.measured) + " of " +
                      std::to_string(s.frames) + " frames");
  return r;
}

}  // namespace ys
