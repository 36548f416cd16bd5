#include "session/long_run.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "analysis/spike_period.h"
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
// GPU records are kept this long before the oldest claim (clock mapping and buffer slack), and a
// flight record waits at most this long for CUPTI to deliver its frames' records.
constexpr int64_t kClaimMarginNs = 200000000;
constexpr int64_t kGiveUpNs = 10000000000;
// The period that arms CUPTI is re-estimated every few ticks from the latest occurrences.
constexpr int kArmEveryTicks = 5;
constexpr size_t kArmOccurrences = 200;

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
  if (opt_.gpu_ring && opt_.gpu_ring->has_source()) ring_ = opt_.gpu_ring;
  arming_.start_ns = recorder_.start_ns();
  arming_.duty_period_ns = static_cast<int64_t>(opt_.gpu_duty_period_s * 1e9);
  arming_.duty_on_ns = static_cast<int64_t>(opt_.gpu_duty_on_s * 1e9);
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

bool LongRun::arm_gpu(bool traced) {
  if (!ring_ || !traced) return false;
  GpuArming a = arming_;
  a.period_ns = arm_period_ns_.load(std::memory_order_relaxed);
  a.phase_ns = arm_phase_ns_.load(std::memory_order_relaxed);
  a.lead_ns = arm_lead_ns_.load(std::memory_order_relaxed);
  a.lag_ns = arm_lag_ns_.load(std::memory_order_relaxed);
  if (!gpu_armed(a, now_ns())) return false;
  recorder_.set_gpu_traced();
  gpu_frames_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void LongRun::gpu_tick(bool final) {
  if (!ring_) return;
  ring_->flush(final);
  const int64_t delivered = ring_->delivered_until_ns();
  const int64_t now = now_ns();
  // The floor first: a record that finishes after it is read is among those to fill below.
  int64_t floor = recorder_.claim_floor_ns();
  for (const FlightToFill& f : recorder_.flights_to_fill()) {
    bool traced = false;
    int64_t end = 0;
    for (const GpuPullFrame& fr : f.frames) {
      traced = traced || fr.traced;
      end = std::max(end, fr.end_ns);
    }
    if (traced && !final && end > delivered && now - end < kGiveUpNs) {
      if (!f.frames.empty()) floor = std::min(floor, f.frames.front().begin_ns);
      continue;
    }
    recorder_.fill_flight(f.occurrence, ring_->pull(f.frames));
  }
  ring_->drop_before(floor - kClaimMarginNs);
  if (!final && ++ticks_ % kArmEveryTicks == 0) update_arming();
}

void LongRun::update_arming() {
  for (const SpikeOccurrence& o : recorder_.occurrences(occ_seen_)) {
    occ_t_s_.push_back(static_cast<double>(o.begin_ns - recorder_.start_ns()) / 1e9);
    occ_frame_ms_ = o.baseline_ms;
    occ_ms_ = static_cast<double>(o.end_ns - o.begin_ns) / 1e6;
    ++occ_seen_;
  }
  if (occ_t_s_.size() > kArmOccurrences)
    occ_t_s_.erase(occ_t_s_.begin(), occ_t_s_.end() - static_cast<std::ptrdiff_t>(kArmOccurrences));
  GpuArming a = arming_;
  if (occ_t_s_.size() >= static_cast<size_t>(kMinPeriodMatches)) {
    // Only the kept occurrences' span counts: older slots were not looked at.
    const double begin =
        occ_seen_ > occ_t_s_.size() ? occ_t_s_.front() : opt_.recorder.warmup_seconds;
    const double end = static_cast<double>(now_ns() - recorder_.start_ns()) / 1e9;
    const PeriodEstimate p =
        estimate_period(occ_t_s_, begin, end, std::max(occ_frame_ms_, 0.1) / 1e3);
    arm_for_period(a, p, occ_frame_ms_, occ_ms_, static_cast<int>(opt_.recorder.flight_before),
                   static_cast<int>(opt_.recorder.flight_after));
  }
  arm_period_ns_.store(a.period_ns, std::memory_order_relaxed);
  arm_phase_ns_.store(a.phase_ns, std::memory_order_relaxed);
  arm_lead_ns_.store(a.lead_ns, std::memory_order_relaxed);
  arm_lag_ns_.store(a.lag_ns, std::memory_order_relaxed);
}

nlohmann::json LongRun::gpu_kernels_json() const {
  nlohmann::json j = {{"available", ring_ != nullptr}};
  if (!ring_) {
    j["why"] = opt_.gpu_kernels_why.empty() ? "not a GPU run" : opt_.gpu_kernels_why;
    return j;
  }
  const GpuRecordRing::Counts c = ring_->counts();
  const int64_t period = arm_period_ns_.load(std::memory_order_relaxed);
  j["duty"] = {{"period_s", opt_.gpu_duty_period_s}, {"on_s", opt_.gpu_duty_on_s}};
  j["armed_period_s"] =
      period > 0 ? nlohmann::json(static_cast<double>(period) / 1e9) : nlohmann::json(nullptr);
  j["traced_frames"] = gpu_frames_.load(std::memory_order_relaxed);
  j["ring"] = {{"kernels", c.kernels},
               {"copies", c.copies},
               {"waits", c.waits},
               {"names", c.names},
               {"overwritten", c.overwritten},
               {"cupti_dropped", c.cupti_dropped},
               {"memory_bytes", ring_->memory_bytes()}};
  return j;
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
    gpu_tick(false);
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
  j["long"]["gpu_kernels"] = gpu_kernels_json();
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
  gpu_tick(true);
  LongRunResult r;
  build(true, &r);
  return r;
}

}  // namespace ys
