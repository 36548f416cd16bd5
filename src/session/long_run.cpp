#include "session/long_run.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/clock.h"
#include "core/file_io.h"
#include "core/log.h"
#include "report/gpu_memory_json.h"

namespace ys {
namespace {

// NVML readings kept: the last three minutes at the default period, for the evidence capture.
constexpr size_t kNvmlKept = 1800;
// An occurrence's evidence is taken once the samplers have read past its end by this much.
constexpr int64_t kSettleNs = 1000000000;

int online_cores() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace

void LongRun::Hook::stage_begin(PipelineStage s) {
  if (s == PipelineStage::kInference) run->maybe_pull();
  run->recorder_.stage_begin(s);
}

LongRun::LongRun(Detector& detector, LongRunOptions options, StageObserver* next)
    : detector_(detector),
      opt_(std::move(options)),
      layers_(group_layers(detector.executor().graph())),
      cores_(online_cores()),
      recorder_(detector.executor().steps().size(), opt_.recorder, next) {
  hook_.run = this;
  // The checkpoints go here from the first one on; the session's final reports go here too.
  std::error_code ec;
  std::filesystem::create_directories(opt_.dir, ec);
  if (opt_.host_period_ms > 0) host_ = std::make_unique<HostSampler>(opt_.host_period_ms);
  Backend& backend = detector_.executor().backend();
  if (backend.device() != DeviceKind::kCpu && opt_.nvml_period_ms > 0) {
    const DeviceTimer* timer = backend.device_timer();
    const int device = timer ? timer->device_index() : 0;
    gpu_memory_ = GpuMemoryRecorder(static_cast<int>(::getpid()), recorder_.start_ns());
    nvml_ = std::make_unique<NvmlSampler>(
        std::vector<int>{device}, opt_.nvml_period_ms, "libnvidia-ml.so.1",
        [this](const std::vector<NvmlSample>& tick) {
          std::lock_guard<std::mutex> lock(mu_);
          for (const NvmlSample& sample : tick) gpu_memory_.add(sample);
          nvml_ring_.insert(nvml_ring_.end(), tick.begin(), tick.end());
          if (nvml_ring_.size() > 2 * kNvmlKept)
            nvml_ring_.erase(nvml_ring_.begin(),
                             nvml_ring_.end() - static_cast<std::ptrdiff_t>(kNvmlKept));
        });
    if (!nvml_->available()) nvml_why_ = nvml_->why();
    // The planted fault of scripts/gpu_check.sh: our own periodic pull of a device buffer.
    if (const char* pull = std::getenv("YS_TEST_GPU_PULL")) {
      double period_s = 0, mib = 0;
      if (std::sscanf(pull, "%lf:%lf", &period_s, &mib) == 2 && period_s > 0 && mib > 0) {
        pull_period_ns_ = static_cast<int64_t>(period_s * 1e9);
        pull_bytes_ = static_cast<size_t>(mib * (1 << 20));
        pull_device_ = backend.allocate(pull_bytes_);
        pull_host_.resize(pull_bytes_);
        next_pull_ns_ = recorder_.start_ns() + pull_period_ns_;
        log_warn("YS_TEST_GPU_PULL: copying ", mib,
                 " MiB from the device to pageable memory every ", period_s,
                 " s inside our frames (a planted fault for tests)");
      }
    }
  }
  thread_ = std::thread([this] { loop(); });
}

LongRun::~LongRun() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (pull_device_) detector_.executor().backend().deallocate(pull_device_);
}

bool LongRun::begin_frame(int64_t index) {
  return recorder_.begin_frame(index);
}

bool LongRun::done() const {
  return opt_.duration_s > 0 &&
         static_cast<double>(now_ns() - recorder_.start_ns()) / 1e9 >= opt_.duration_s;
}

void LongRun::maybe_pull() {
  if (!pull_device_ || now_ns() < next_pull_ns_) return;
  next_pull_ns_ += pull_period_ns_;
  detector_.executor().backend().copy_to_host(pull_host_.data(), pull_device_, pull_bytes_);
}

void LongRun::loop() {
  auto next_checkpoint = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(opt_.checkpoint_s * 1e3));
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(wake_mu_);
      if (wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) return;
    }
    capture_evidence(false);
    if (std::chrono::steady_clock::now() >= next_checkpoint) {
      try {
        write_checkpoint(false);
      } catch (const std::exception& e) {
        log_warn("long run: checkpoint not written: ", e.what());
      }
      next_checkpoint += std::chrono::milliseconds(static_cast<int64_t>(opt_.checkpoint_s * 1e3));
    }
  }
}

void LongRun::capture_evidence(bool all) {
  const std::vector<SpikeOccurrence> occ = recorder_.occurrences(captured_);
  if (occ.empty()) return;
  const int64_t now = now_ns();
  const std::vector<HostSample> host = host_ ? host_->samples() : std::vector<HostSample>{};
  std::vector<NvmlSample> nvml;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nvml = nvml_ring_;
  }
  const int self = static_cast<int>(::getpid());
  std::lock_guard<std::mutex> lock(mu_);
  for (const SpikeOccurrence& o : occ) {
    if (!all && o.end_ns + kSettleNs > now) break;  // the samplers have not read past it yet
    busy_.emplace_back(o.begin_ns, o.end_ns);
  }
  size_t i = captured_;
  for (const SpikeOccurrence& o : occ) {
    if (!all && o.end_ns + kSettleNs > now) break;
    SpikeEvidence e;
    if (host_) e.host = host_window(host, o.begin_ns, o.end_ns, busy_);
    if (nvml_ && nvml_->available())
      e.device = device_window(nvml, o.begin_ns, o.end_ns, busy_, self);
    evidence_[i++] = std::move(e);
  }
  captured_ = i;
}

nlohmann::json LongRun::build(bool final, LongRunResult* out) {
  const LongSnapshot snap = recorder_.snapshot();
  LongRunFacts facts;
  facts.checkpoint_period_s = opt_.checkpoint_s;
  facts.final = final;
  facts.host_period_ms = host_ ? host_->period_ms() : 0;
  facts.host_cost_pct = host_ ? host_->cost_pct() : 0;
  facts.nvml_period_ms = nvml_ && nvml_->available() ? opt_.nvml_period_ms : 0;
  facts.nvml_why = nvml_why_;
  facts.memory_bytes = recorder_.memory_bytes();
  facts.warmup_s = opt_.recorder.warmup_seconds;
  std::map<size_t, SpikeEvidence> evidence;
  {
    std::lock_guard<std::mutex> lock(mu_);
    evidence = evidence_;
  }
  SpikeReport spikes =
      analyze_spikes(snap, evidence, layers_, cores_, opt_.recorder.warmup_seconds);
  nlohmann::json j = {{"long", long_json(snap, layers_, facts)}, {"spikes", spikes_json(spikes)}};
  if (nvml_ && nvml_->available()) {
    // Device memory over the whole run, ours against other processes (docs/PROFILE_SCHEMA.md).
    const Executor& ex = detector_.executor();
    int64_t weights = 0;
    for (const Value& v : ex.graph().values)
      if (v.is_constant()) weights += static_cast<int64_t>(v.data.nbytes());
    std::lock_guard<std::mutex> lock(mu_);
    j["long"]["gpu_memory"] = gpu_memory_json(
        gpu_memory_.timelines(), {.arena_bytes = static_cast<int64_t>(ex.memory_plan().arena_bytes),
                                  .weights_bytes = weights,
                                  .workspace_bytes = device_workspace_bytes(ex)});
  }
  if (out) {
    out->long_section = j["long"];
    out->spikes_section = j["spikes"];
    out->console = spikes_console(spikes);
    out->spikes = std::move(spikes);
  }
  return j;
}

void LongRun::write_checkpoint(bool final) {
  nlohmann::json j = build(final, nullptr);
  nlohmann::json summary = {{"schema", "yoloscope.profile"},
                            {"schema_version", 2},
                            {"generated_at", utc_now()},
                            {"partial", true}};
  summary["long"] = std::move(j["long"]);
  summary["spikes"] = std::move(j["spikes"]);
  write_file_atomic(opt_.dir + "/summary.json", summary.dump(),
                    "cannot write the long run's summary");
  summary = nlohmann::json();
  j = nlohmann::json();
  // The JSON tree of a day's buckets is tens of MiB, freed at once: hand it back to the system,
  // or the process keeps its high-water mark as resident memory.
  malloc_trim(0);
}

LongRunResult LongRun::finish() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  recorder_.finish();
  if (host_) host_->stop();
  if (nvml_) nvml_->stop();
  capture_evidence(true);
  LongRunResult r;
  build(true, &r);
  return r;
}

}  // namespace ys
