#include "profiler/live_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/clock.h"
#include "pipeline/build_info.h"
#include "profiler/nvml_sampler.h"
#include "profiler/resource_sampler.h"

namespace ys {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// NVML's clock-event reasons that slow the GPU against its will: software power cap, hardware
// slowdown, software and hardware thermal slowdown, power brake. Idle, application clocks and
// sync boost are choices, not throttling.
constexpr uint64_t kThrottleMask = 0x4 | 0x8 | 0x20 | 0x40 | 0x80;

std::array<double, kStageBucketCount> make_bounds() {
  std::array<double, kStageBucketCount> b{};
  for (size_t k = 0; k < kStageBucketCount; ++k) {
    // 10^(k/20) rounded to three significant digits, so that the `le` labels read as numbers a
    // person would write (0.000112, not 0.00011220184543019634).
    const double v = 1e-4 * std::pow(10.0, static_cast<double>(k) / 20.0);
    const double scale = std::pow(10.0, 2 - std::floor(std::log10(v)));
    b[k] = std::round(v * scale) / scale;
  }
  return b;
}

double optional_or_nan(const std::optional<double>& v, double factor = 1) {
  return v ? *v * factor : kNaN;
}

}  // namespace

const std::array<double, kStageBucketCount>& stage_bucket_bounds() {
  static const std::array<double, kStageBucketCount> bounds = make_bounds();
  return bounds;
}

struct LiveMetrics::Atomics {
  explicit Atomics(size_t classes) : detections(classes + 1) {}

  struct Histogram {
    std::array<std::atomic<uint64_t>, kStageBucketCount + 1> counts{};
    std::atomic<uint64_t> count{0}, sum_ns{0};
  };
  struct Gpu {
    std::atomic<bool> present{false};
    std::atomic<int> device{0};
    std::atomic<double> util{0}, mem{0}, clock{0}, power{0}, throttled{0};
  };

  int64_t start_ns = now_ns();
  std::atomic<uint64_t> frames{0}, batches{0}, spikes{0};
  std::vector<std::atomic<uint64_t>> detections;
  std::array<Histogram, kPipelineStageCount> stages;
  std::atomic<int64_t> batch_size{0};
  std::atomic<double> spike_period{0};
  std::array<Gpu, kMaxLiveGpus> gpus;
  std::atomic<uint64_t> recording_ns{0};
  std::atomic<int64_t> frames_expected{-1};
  std::atomic<bool> finished{false}, report_ready{false};
  std::atomic<int64_t> end_ns{0};
};

LiveMetrics::LiveMetrics(std::vector<std::string> class_names, std::string backend,
                         std::string model)
    : a_(std::make_unique<Atomics>(class_names.size())),
      class_names_(std::move(class_names)),
      backend_(std::move(backend)),
      model_(std::move(model)) {}

LiveMetrics::~LiveMetrics() = default;

void LiveMetrics::record_batch(const std::array<double, kPipelineStageCount>& stage_seconds,
                               int images, const std::vector<std::vector<Detection>>& detections) {
  const int64_t t0 = now_ns();
  const auto& bounds = stage_bucket_bounds();
  for (size_t s = 0; s < kPipelineStageCount; ++s) {
    const double sec = stage_seconds[s];
    if (!(sec >= 0)) continue;  // not run (negative) or not a number
    // `le` buckets: a time equal to a bound belongs to that bound's bucket.
    const size_t b =
        static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), sec) - bounds.begin());
    Atomics::Histogram& h = a_->stages[s];
    h.counts[b].fetch_add(1, kRelaxed);
    h.count.fetch_add(1, kRelaxed);
    h.sum_ns.fetch_add(static_cast<uint64_t>(std::llround(sec * 1e9)), kRelaxed);
  }
  const size_t other = a_->detections.size() - 1;
  for (const auto& image : detections) {
    for (const Detection& d : image) {
      const size_t c =
          d.cls >= 0 && static_cast<size_t>(d.cls) < other ? static_cast<size_t>(d.cls) : other;
      a_->detections[c].fetch_add(1, kRelaxed);
    }
  }
  a_->batch_size.store(images, kRelaxed);
  a_->batches.fetch_add(1, kRelaxed);
  a_->frames.fetch_add(static_cast<uint64_t>(std::max(images, 0)), kRelaxed);
  a_->recording_ns.fetch_add(static_cast<uint64_t>(now_ns() - t0), kRelaxed);
}

void LiveMetrics::set_frames_expected(std::optional<int64_t> frames) {
  a_->frames_expected.store(frames ? *frames : -1, kRelaxed);
}

void LiveMetrics::set_spikes(uint64_t count, double period_seconds) {
  a_->spikes.store(count, kRelaxed);
  a_->spike_period.store(period_seconds, kRelaxed);
}

void LiveMetrics::publish_gpu(size_t slot, const GpuGauges& g) {
  if (slot >= kMaxLiveGpus) return;
  Atomics::Gpu& out = a_->gpus[slot];
  out.device.store(g.device, kRelaxed);
  out.util.store(g.utilization_ratio, kRelaxed);
  out.mem.store(g.memory_used_bytes, kRelaxed);
  out.clock.store(g.sm_clock_hertz, kRelaxed);
  out.power.store(g.power_watts, kRelaxed);
  out.throttled.store(g.throttled, kRelaxed);
  // Last, with release, so that a reader that sees the slot present also sees its figures.
  out.present.store(true, std::memory_order_release);
}

void LiveMetrics::set_finished(bool report_ready) {
  a_->report_ready.store(report_ready, kRelaxed);
  a_->end_ns.store(now_ns(), kRelaxed);
  a_->finished.store(true, std::memory_order_release);
}

LiveSnapshot LiveMetrics::snapshot() const {
  LiveSnapshot s;
  s.t_ns = now_ns();
  s.start_ns = a_->start_ns;
  s.finished = a_->finished.load(std::memory_order_acquire);
  s.report_ready = a_->report_ready.load(kRelaxed);
  s.end_ns = s.finished ? a_->end_ns.load(kRelaxed) : 0;
  s.frames = a_->frames.load(kRelaxed);
  s.batches = a_->batches.load(kRelaxed);
  s.class_names = class_names_;
  s.detections.reserve(a_->detections.size());
  for (const auto& d : a_->detections) s.detections.push_back(d.load(kRelaxed));
  for (size_t i = 0; i < kPipelineStageCount; ++i) {
    const Atomics::Histogram& h = a_->stages[i];
    for (size_t b = 0; b <= kStageBucketCount; ++b)
      s.stages[i].counts[b] = h.counts[b].load(kRelaxed);
    s.stages[i].count = h.count.load(kRelaxed);
    s.stages[i].sum_ns = h.sum_ns.load(kRelaxed);
  }
  s.batch_size = a_->batch_size.load(kRelaxed);
  s.spikes = a_->spikes.load(kRelaxed);
  s.spike_period_seconds = a_->spike_period.load(kRelaxed);
  for (const Atomics::Gpu& g : a_->gpus) {
    if (!g.present.load(std::memory_order_acquire)) continue;
    s.gpus.push_back(GpuGauges{g.device.load(kRelaxed), g.util.load(kRelaxed), g.mem.load(kRelaxed),
                               g.clock.load(kRelaxed), g.power.load(kRelaxed),
                               g.throttled.load(kRelaxed)});
  }
  s.process_cpu_seconds = static_cast<double>(process_cpu_time_ns()) / 1e9;
  s.resident_memory_bytes = static_cast<double>(process_rss_bytes());
  s.recording_seconds = static_cast<double>(a_->recording_ns.load(kRelaxed)) / 1e9;
  const int64_t expected = a_->frames_expected.load(kRelaxed);
  if (expected >= 0) s.frames_expected = expected;
  s.version = kYoloScopeVersion;
  s.backend = backend_;
  s.model = model_;
  return s;
}

std::unique_ptr<NvmlSampler> start_gpu_gauges(LiveMetrics& metrics, const std::vector<int>& devices,
                                              int period_ms) {
  auto sampler = std::make_unique<NvmlSampler>(
      devices, period_ms, "libnvidia-ml.so.1",
      [&metrics, devices](const std::vector<NvmlSample>& tick) {
        for (const NvmlSample& n : tick) {
          const auto at = std::find(devices.begin(), devices.end(), n.device);
          GpuGauges g;
          g.device = n.device;
          g.utilization_ratio = optional_or_nan(n.gpu_util_pct, 0.01);
          g.memory_used_bytes = n.mem_used_bytes ? static_cast<double>(*n.mem_used_bytes) : kNaN;
          g.sm_clock_hertz = optional_or_nan(n.sm_clock_mhz, 1e6);
          g.power_watts = optional_or_nan(n.power_w);
          g.throttled = n.throttle_reasons ? ((*n.throttle_reasons & kThrottleMask) ? 1 : 0) : kNaN;
          metrics.publish_gpu(static_cast<size_t>(at - devices.begin()), g);
        }
      });
  if (!sampler->available()) return nullptr;
  return sampler;
}

}  // namespace ys
