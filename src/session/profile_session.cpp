#include "session/profile_session.h"

#include <algorithm>
#include <fstream>
#include <optional>

#include <unistd.h>

#include "analysis/advisor_spikes.h"
#include "analysis/gpu_memory.h"
#include "core/error.h"
#include "core/log.h"
#include "core/numa_memory.h"
#include "model/flops.h"
#include "pipeline/build_info.h"
#include "pipeline/detector_pool.h"
#include "profiler/environment.h"
#include "profiler/gpu_inventory.h"
#include "profiler/gpu_trace_io.h"
#include "report/device_profile_json.h"
#include "report/gpu_memory_json.h"
#include "session/whatif.h"

namespace ys {
namespace {

// Busy and total jiffies of all CPUs from /proc/stat's first line; zeros where it is missing.
std::pair<int64_t, int64_t> cpu_jiffies() {
  std::ifstream f("/proc/stat");
  std::string label;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(f >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal))
    return {0, 0};
  const int64_t busy = user + nice + system + irq + softirq + steal;
  return {busy, busy + idle + iowait};
}

}  // namespace

ModelInfo describe_model(const Detector& detector) {
  const ModelDescription& d = detector.model();
  const Graph& g = detector.executor().graph();
  ModelInfo m;
  m.name = d.name;
  m.path = d.path;
  m.family = d.family.empty() ? "unknown" : d.family;
  m.synthetic_weights = d.synthetic_weights;
  m.input_shape = d.input_shape;
  m.parameters = g.parameter_count();
  int64_t flops = 0;
  for (const Node& n : g.nodes) flops += node_flops(g, n);
  m.gflops = static_cast<double>(flops) / 1e9 /
             static_cast<double>(std::max<int64_t>(1, d.input_shape[0]));
  m.layers = static_cast<int64_t>(group_layers(g).size());
  m.ops = static_cast<int64_t>(g.nodes.size());
  if (d.path != "built-in") {
    m.sha256 = sha256_file(d.path);
  } else {
    // Built-ins have no file: hash the weights so two reports show whether they ran the same.
    std::string bytes;
    for (const Value& v : g.values) {
      if (v.is_constant()) bytes.append(static_cast<const char*>(v.data.data()), v.data.nbytes());
    }
    m.sha256 = sha256_bytes(bytes.data(), bytes.size());
  }
  return m;
}

ProfileSession::ProfileSession(Detector& detector, ProfileSchedule schedule, bool whatif,
                               bool gpu_detailed, std::optional<LongRunOptions> long_run)
    : detector_(detector),
      profiler_(schedule, detector.executor().steps().size()),
      whatif_(whatif),
      cpu_start_(cpu_jiffies()) {
  detector_.set_stage_observer(&profiler_);
  sampler_ = std::make_unique<ResourceSampler>(50);
  const Executor& ex = detector_.executor();
  if (ex.backend().device() != DeviceKind::kCpu) {
    // A long run samples NVML itself with a bounded history; the window's sampler keeps all.
    // Its flight recorder's GPU records come through a bounded ring CUPTI streams into.
    std::shared_ptr<GpuRecordRing> ring;
    if (long_run) ring = std::make_shared<GpuRecordRing>();
    gpu_ = std::make_unique<GpuProfiler>(
        ex.backend(), ex.graph(),
        GpuProfilerOptions{
            .detailed = gpu_detailed, .nvml_period_ms = long_run ? 0 : 20, .ring = ring});
    if (long_run) {
      long_run->gpu_ring = ring;
      long_run->gpu_kernels_why = gpu_->kernels_why();
    }
  } else if (gpu_detailed) {
    notes_.push_back(
        "profile_detail=detailed records GPU kernels, copies and waits (CUPTI); this run is on "
        "the CPU, whose per-op times are recorded in every mode, so it changed nothing");
    log_warn(notes_.back());
  }
  if (long_run) {
    long_ = std::make_unique<LongRun>(detector_, std::move(*long_run), &profiler_);
    stages_ = long_->stage_observer();
    detector_.set_stage_observer(stages_);
  }
}

ProfileSession::ProfileSession(const std::vector<Detector*>& pool,
                               const std::vector<std::string>& devices, ProfileSchedule schedule)
    : detector_(*pool.at(0)),
      profiler_(schedule, detector_.executor().steps().size()),
      cpu_start_(cpu_jiffies()),
      pool_(pool) {
  if (pool_.size() != devices.size())
    fail(ErrorKind::kInvalidArgument, "ProfileSession: ", pool_.size(), " detectors for ",
         devices.size(), " device names");
  sampler_ = std::make_unique<ResourceSampler>(50);
  // A device named more than once holds several detectors (streams per device): one entry each.
  std::vector<int> gpus;
  for (size_t k = 0; k < pool_.size(); ++k) {
    const std::string& name = devices[k];
    const auto at = std::find(pool_devices_.begin(), pool_devices_.end(), name);
    device_of_.push_back(static_cast<size_t>(at - pool_devices_.begin()));
    if (at != pool_devices_.end()) continue;
    pool_devices_.push_back(name);
    const bool gpu = pool_[k]->executor().backend().device() != DeviceKind::kCpu && !name.empty() &&
                     name.find_first_not_of("0123456789") == std::string::npos;
    nvml_index_.push_back(gpu ? std::stoi(name) : -1);
    if (gpu) gpus.push_back(nvml_index_.back());
  }
  if (!gpus.empty()) {
    pool_nvml_ = std::make_unique<NvmlSampler>(gpus, 20);
    if (!pool_nvml_->available())
      notes_.push_back("NVML is not available (" + pool_nvml_->why() +
                       "): the devices' utilisation, memory and clocks are not known");
  }
  notes_.push_back(cat(pool_devices_.size(), " devices (", pool_.size(),
                       " detectors) ran this profile, each detector on a thread of its own: the "
                       "stages are each batch's on the device that ran it; layers and ops are not "
                       "timed, since the op hooks follow one thread (issue 21)"));
}

ProfileSession::~ProfileSession() {
  if (attached_) {
    detector_.set_stage_observer(nullptr);
    detector_.set_op_observer(nullptr);
  }
}

void ProfileSession::begin_frame(int64_t index) {
  const bool trace_ops = profiler_.begin_frame(index);
  last_measured_ = profiler_.measuring();
  // A replayed CUDA Graph launches the whole forward from its first op: the host's per-op times
  // say nothing there, while the hooks would cost about 1% of a 0.6 ms forward. The layers' times
  // come from the device (GpuProfiler) instead.
  const DeviceTimer* timer = detector_.executor().backend().device_timer();
  const bool graph_replay = timer && timer->kernels_per_run() >= 0;
  // A long run traces ops in its own frames (most of them) outside the window's traced ones.
  const bool long_ops = long_ && long_->begin_frame(index);
  detector_.set_op_observer(graph_replay ? nullptr
                            : trace_ops  ? static_cast<OpObserver*>(&profiler_)
                            : long_ops   ? &long_->recorder()
                                         : nullptr);
  if (gpu_) {
    if (last_measured_)
      gpu_->begin_frame(index, trace_ops);
    else if (profiler_.frames().empty())  // before the first window only
      gpu_->prepare_frame();
    else if (long_)  // after the window: CUPTI for the flight recorder, in armed frames
      gpu_->long_frame(long_->arm_gpu(long_ops));
  }
}

void ProfileSession::end_frame() {
  if (gpu_) gpu_->end_frame();
  // A frame begun when the source had already ended ran nothing; counted, it would be a frame
  // of a few microseconds in every statistic.
  if (profiler_.measuring() && !profiler_.stage_ran(PipelineStage::kInference)) {
    profiler_.discard_frame();
    last_measured_ = false;
  }
  profiler_.end_frame();
  detector_.set_op_observer(nullptr);
  if (long_) {
    long_->end_frame();
    // The window's /proc sampler keeps every reading: a day of them would not be bounded.
    if (profiler_.finished()) sampler_->stop();
  }
}

void ProfileSession::record_input(const Tensor& image, int64_t index, int64_t detections,
                                  int64_t candidates) {
  // decoder=nvdec frames have no host pixels unless an output draws on them: nothing to measure.
  if (!last_measured_ || image.empty()) return;
  input_.add(index, image, detections, candidates);
  if (whatif_ && kept_.size() < kWhatIfFrames && kept_bytes_ + image.nbytes() <= kWhatIfBytes) {
    kept_.push_back(image.clone());
    kept_bytes_ += image.nbytes();
  }
}

bool ProfileSession::pool_batch_end(const DetectedBatch& batch, bool delivered) {
  if (batch.frames.empty()) return true;
  last_batch_ns_ = now_ns();
  std::array<int64_t, kPipelineStageCount> end{};
  for (size_t s = 0; s < kPipelineStageCount; ++s) {
    if (batch.stage_begin_ns[s] != 0)
      end[s] = batch.stage_begin_ns[s] + static_cast<int64_t>(batch.stage_ms[s] * 1e6);
  }
  last_measured_ = profiler_.record_frame(batch.first_frame, batch.stage_begin_ns, end);
  const auto n = static_cast<int64_t>(batch.frames.size());
  if (last_measured_ && device_batches_.size() < kMaxDeviceBatches)
    device_batches_.push_back({.device = device_of_.at(batch.detector),
                               .first_frame = batch.first_frame,
                               .frames = n,
                               .begin_ns = batch.stage_begin_ns,
                               .end_ns = end});
  if (!delivered) return true;
  for (int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(i);
    record_input(batch.frames[k].image, batch.first_frame + i,
                 static_cast<int64_t>(batch.detections[k].size()), batch.candidates / n);
  }
  return true;
}

DeviceProfile ProfileSession::pool_profile(const std::vector<DeviceRun>& runs) {
  std::vector<DeviceTotals> totals;
  for (const DeviceRun& d : merge_device_runs(runs)) {
    const auto at = std::find(pool_devices_.begin(), pool_devices_.end(), d.device);
    const auto k = static_cast<size_t>(at - pool_devices_.begin());
    totals.push_back({.device = d.device,
                      .frames = d.frames,
                      .batches = d.batches,
                      .busy_ms = d.busy_ms,
                      .read_ms = d.read_ms,
                      .failed = d.failed,
                      .error = d.error,
                      .lost_frames = d.lost_frames,
                      .nvml_index = k < nvml_index_.size() ? nvml_index_[k] : -1});
  }
  if (pool_nvml_) {
    pool_nvml_->stop();
    pool_samples_ = pool_nvml_->samples();
  }
  const int64_t end = last_batch_ns_ ? last_batch_ns_ : now_ns();
  DeviceProfile p = analyze_devices(totals, device_batches_, pool_samples_,
                                    static_cast<double>(end - profiler_.start_ns()) / 1e6);
  if (pool_nvml_ && pool_nvml_->available()) {
    // Which GPUs share a PCIe switch, and so its uplink: host-side contention no timing shows.
    auto name_of = [&](int index) -> const std::string* {
      for (size_t k = 0; k < nvml_index_.size(); ++k)
        if (nvml_index_[k] == index) return &pool_devices_[k];
      return nullptr;
    };
    const GpuInventory inventory = list_gpus();
    for (const GpuLink& l : inventory.links) {
      const std::string *a = name_of(l.a), *b = name_of(l.b);
      if (a && b) p.links.push_back({*a, *b, l.path});
    }
    for (DeviceFigures& d : p.devices)
      for (const GpuListing& g : inventory.gpus)
        if (g.index == d.nvml_index) d.numa_node = g.numa_node;
  }
  p.numa_nodes = online_numa_nodes();
  return p;
}

bool ProfileSession::batch_end(const DetectedBatch& batch, bool delivered) {
  if (!pool_.empty()) return pool_batch_end(batch, delivered);
  end_frame();
  if (!delivered) return !done();
  // After end_frame: measuring the input must not count in the frame's latency.
  const auto n = static_cast<int64_t>(batch.frames.size());
  for (int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(i);
    record_input(batch.frames[k].image, batch.first_frame + i,
                 static_cast<int64_t>(batch.detections[k].size()), batch.candidates / n);
  }
  return !done();  // a long run whose profile_duration is over
}

ProfileResult ProfileSession::finish(const std::string& dir, const RunInfo& run, RunFacts facts,
                                     const std::vector<DeviceRun>& device_runs) {
  detector_.set_stage_observer(nullptr);
  detector_.set_op_observer(nullptr);
  attached_ = false;
  sampler_->stop();
  std::optional<LongRunResult> long_result;
  if (long_) long_result = long_->finish();
  const std::pair<int64_t, int64_t> cpu_end = cpu_jiffies();
  const std::vector<ResourceSample> samples = sampler_->samples();
  ProfileAnalysis analysis = analyze_profile(profiler_, detector_.executor(), samples);
  if (!pool_.empty()) {
    // No op was traced (the op hooks follow one thread): no model stage or layer has a time.
    analysis.model_stages.clear();
    analysis.top_layers.clear();
  }
  if (facts.decoder == "nvdec") name_gpu_decode_stage(analysis);
  std::optional<GpuTrace> gpu_trace;
  std::optional<GpuAnalysis> gpu;
  if (gpu_) {
    gpu_trace = gpu_->finish();
    gpu_.reset();
    gpu = analyze_gpu(*gpu_trace, detector_.executor().graph(), analysis.layers, profiler_.frames(),
                      profiler_.start_ns());
    // The trace keeps the host's layer list (ids, steps, FLOPs) before its times are replaced.
    attach_host_context(*gpu_trace, profiler_.frames(), analysis.layers, profiler_.start_ns());
    use_device_layer_times(analysis, *gpu);
  }
  ModelInfo model = describe_model(detector_);
  Environment env = collect_environment();
  for (const auto& [k, v] : library_versions()) env.libraries[k] = v;

  const InputStats input = input_.summarize();
  facts.cores = env.cores;
  facts.synthetic_weights = model.synthetic_weights;
  facts.input_bytes = numel(model.input_shape) * 4;
  if (gpu) facts.gpu = gpu_facts(*gpu, analysis);
  std::optional<DeviceProfile> devices;
  if (!pool_.empty()) {
    devices = pool_profile(device_runs);
    facts.devices = device_balance(*devices);
  }
  const int64_t d_total = cpu_end.second - cpu_start_.second;
  if (d_total > 0 && env.cores > 0) {
    facts.system_cpu_pct = 100.0 * env.cores *
                           static_cast<double>(cpu_end.first - cpu_start_.first) /
                           static_cast<double>(d_total);
  }
  std::vector<Finding> findings = advise(analysis, input, facts);
  if (long_result) {
    for (Finding& f : spike_findings(long_result->spikes)) findings.push_back(std::move(f));
    order_findings(findings);
  }
  if (whatif_) {
    for (Finding& f : findings)
      verify_finding(f, detector_, kept_, analysis.latency.median, facts.on_gpu());
    order_findings(findings);
  }
  kept_.clear();

  RunInfo noted = run;
  noted.notes.insert(noted.notes.end(), notes_.begin(), notes_.end());
  const ProfileSchedule& schedule = profiler_.schedule();
  const int64_t asked = schedule.active_frames();
  const auto measured = static_cast<int64_t>(profiler_.frames().size());
  if (asked >= 0 && measured < asked) {
    noted.notes.push_back(cat("the run ended after ", profiler_.frames_seen(),
                              " frames, before the profile schedule was through (the source was "
                              "shorter, or the run was stopped): ",
                              measured, " of the ", asked,
                              " active frames were measured (profile_schedule=", schedule.str(),
                              ")"));
  }

  ProfileResult r;
  r.dir = dir;
  r.findings = findings;
  r.summary =
      summary_json(analysis, model, noted, env, advice_json(findings), gpu ? &*gpu : nullptr);
  r.summary["input"] = input_json(input, model.synthetic_weights);
  if (gpu_trace && !gpu_trace->samples.empty() && r.summary["gpu"].is_object()) {
    r.summary["gpu"]["memory"] =
        gpu_memory_json(gpu_memory_over_time(gpu_trace->samples, static_cast<int>(::getpid()),
                                             profiler_.start_ns()),
                        {.arena_bytes = analysis.arena_bytes,
                         .weights_bytes = analysis.weights_bytes,
                         .workspace_bytes = device_workspace_bytes(detector_.executor())});
  }
  if (long_result) {
    r.summary["long"] = std::move(long_result->long_section);
    r.summary["spikes"] = std::move(long_result->spikes_section);
  }
  r.summary["devices"] = devices ? devices_json(*devices) : nlohmann::json(nullptr);
  r.summary["device_balance"] = devices ? device_balance_json(*devices) : nlohmann::json(nullptr);
  nlohmann::json trace =
      chrome_trace(profiler_, detector_.executor(), samples, gpu_trace ? &*gpu_trace : nullptr);
  if (facts.decoder == "nvdec") name_gpu_decode_spans(trace);
  if (devices) {
    for (nlohmann::json& e :
         device_trace_events(*devices, device_batches_, pool_samples_, profiler_.start_ns()))
      trace["traceEvents"].push_back(std::move(e));
  }
  write_profile_reports(dir, r.summary, trace, layers_csv(analysis));
  if (gpu_trace) {
    // The raw GPU records, for tools of one's own and as test fixtures for machines without a GPU.
    write_gpu_trace(dir + "/gpu_trace.json", *gpu_trace);
  }
  r.console = console_summary(analysis, model, noted, dir, gpu ? &*gpu : nullptr);
  // The advice goes just above the report's path, the last line a user reads.
  const size_t at = r.console.rfind("  Report: ");
  r.console.insert(at == std::string::npos ? r.console.size() : at,
                   (devices ? devices_console(*devices) : std::string()) +
                       (long_result ? long_result->console : std::string()) +
                       advice_console(findings));
  return r;
}

}  // namespace ys
