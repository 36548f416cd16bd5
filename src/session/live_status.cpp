#include "session/live_status.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace ys {
namespace {

using nlohmann::json;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kWindow = 60 * kSecond;  // the dashboard's "last minute"
constexpr int64_t kFpsSpan = 3 * kSecond;  // fps "now": long enough to smooth a batch's jitter

json number_or_null(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

std::string ms_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", v);
  return buf;
}

double seconds_between(const LiveSnapshot& a, const LiveSnapshot& b) {
  return static_cast<double>(b.t_ns - a.t_ns) / 1e9;
}

// The state before the first frame, as a base for windows that reach back to the start.
LiveSnapshot start_of(const LiveSnapshot& now) {
  LiveSnapshot s;
  s.t_ns = now.start_ns;
  s.start_ns = now.start_ns;
  s.detections.assign(now.detections.size(), 0);
  return s;
}

// Hints from the live figures alone, until the run's advisor speaks at the end.
json live_findings(const LiveSnapshot& now, const std::vector<double>& p50_ms, double fps) {
  json out = json::array();
  auto add = [&out](const char* severity, std::string text) {
    out.push_back({{"severity", severity}, {"finding", std::move(text)}});
  };
  const size_t read = static_cast<size_t>(PipelineStage::kRead);
  const size_t inference = static_cast<size_t>(PipelineStage::kInference);
  if (p50_ms[read] > 0 && p50_ms[inference] > 0 && p50_ms[read] > p50_ms[inference]) {
    add("warning", "Reading the source (median " + ms_text(p50_ms[read]) +
                       ") takes longer than inference (" + ms_text(p50_ms[inference]) +
                       "): the run is input-bound.");
  }
  for (const GpuGauges& g : now.gpus) {
    if (g.throttled == 1)
      add("critical", "GPU " + std::to_string(g.device) +
                          " is throttled (power or thermal): its clock is held down.");
    if (std::isfinite(g.utilization_ratio) && g.utilization_ratio < 0.5 && fps > 0)
      add("warning", "GPU " + std::to_string(g.device) + " is busy only " +
                         std::to_string(static_cast<int>(g.utilization_ratio * 100)) +
                         "% of the time: the host side of the pipeline holds it back.");
  }
  if (now.spikes > 0) add("info", std::to_string(now.spikes) + " latency spike(s) so far.");
  return out;
}

}  // namespace

double histogram_quantile(double q, const double* bounds, size_t bound_count,
                          const uint64_t* counts) {
  uint64_t total = 0;
  for (size_t b = 0; b <= bound_count; ++b) total += counts[b];
  if (total == 0) return -1;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t b = 0; b < bound_count; ++b) {
    if (static_cast<double>(below + counts[b]) >= rank && counts[b] > 0) {
      const double lo = b == 0 ? 0.0 : bounds[b - 1];
      return lo + (bounds[b] - lo) * (rank - static_cast<double>(below)) /
                      static_cast<double>(counts[b]);
    }
    below += counts[b];
  }
  return bounds[bound_count - 1];
}

std::string LiveStatus::json() {
  const LiveSnapshot now = metrics_.snapshot();
  std::lock_guard<std::mutex> lock(mu_);
  if (history_.empty() || now.t_ns - history_.back().t_ns >= kSecond * 9 / 10)
    history_.push_back(now);
  while (history_.size() > 1 && now.t_ns - history_[1].t_ns >= kWindow) history_.pop_front();
  // The window's base: the oldest kept poll, or the start when this is the first one.
  const LiveSnapshot origin = start_of(now);
  const LiveSnapshot& base =
      history_.front().t_ns < now.t_ns && now.t_ns - history_.front().t_ns >= kSecond
          ? history_.front()
          : origin;

  const LiveSnapshot* recent = &base;
  for (const LiveSnapshot& h : history_)
    if (now.t_ns - h.t_ns >= kFpsSpan || &h == &history_.front()) recent = &h;
  if (now.t_ns - recent->t_ns < kSecond) recent = &base;
  const double fps_span = seconds_between(*recent, now);
  const double fps = fps_span > 0 ? static_cast<double>(now.frames - recent->frames) / fps_span : 0;

  nlohmann::json doc;
  doc["version"] = now.version;
  doc["model"] = now.model;
  doc["backend"] = now.backend;
  doc["finished"] = now.finished;
  doc["report"] = now.report_ready ? nlohmann::json("report.html") : nlohmann::json(nullptr);
  // Once the run has ended, its time stops and its fps is the whole run's.
  const double elapsed = now.finished && now.end_ns > 0
                             ? static_cast<double>(now.end_ns - now.start_ns) / 1e9
                             : seconds_between(origin, now);
  doc["elapsed_s"] = elapsed;
  doc["frames"] = now.frames;
  doc["frames_expected"] =
      now.frames_expected ? nlohmann::json(*now.frames_expected) : nlohmann::json(nullptr);
  doc["fps"] = now.finished && elapsed > 0 ? static_cast<double>(now.frames) / elapsed : fps;
  double eta = NAN;
  if (now.frames_expected && fps > 0 && !now.finished)
    eta = static_cast<double>(
              std::max<int64_t>(*now.frames_expected - static_cast<int64_t>(now.frames), 0)) /
          fps;
  doc["eta_s"] = number_or_null(eta);
  nlohmann::json series = nlohmann::json::array();
  for (size_t i = 1; i < history_.size(); ++i) {
    const double dt = seconds_between(history_[i - 1], history_[i]);
    if (dt > 0)
      series.push_back({seconds_between(origin, history_[i]),
                        static_cast<double>(history_[i].frames - history_[i - 1].frames) / dt});
  }
  doc["fps_series"] = series;

  const double window_s = seconds_between(base, now);
  doc["window_s"] = window_s;
  nlohmann::json stages = nlohmann::json::array();
  std::vector<double> p50s(kPipelineStageCount, -1);
  const auto& bounds = stage_bucket_bounds();
  for (size_t i = 0; i < kPipelineStageCount; ++i) {
    std::array<uint64_t, kStageBucketCount + 1> delta{};
    for (size_t b = 0; b <= kStageBucketCount; ++b)
      delta[b] = now.stages[i].counts[b] - base.stages[i].counts[b];
    const double p50 = histogram_quantile(0.5, bounds.data(), bounds.size(), delta.data());
    const double p99 = histogram_quantile(0.99, bounds.data(), bounds.size(), delta.data());
    p50s[i] = p50 < 0 ? -1 : p50 * 1e3;
    stages.push_back({{"name", pipeline_stage_name(static_cast<PipelineStage>(i))},
                      {"count", now.stages[i].count - base.stages[i].count},
                      {"p50_ms", p50 < 0 ? nlohmann::json(nullptr) : nlohmann::json(p50 * 1e3)},
                      {"p99_ms", p99 < 0 ? nlohmann::json(nullptr) : nlohmann::json(p99 * 1e3)}});
  }
  doc["stages"] = stages;

  nlohmann::json gpus = nlohmann::json::array();
  for (const GpuGauges& g : now.gpus) {
    gpus.push_back({{"device", g.device},
                    {"utilization_pct", number_or_null(g.utilization_ratio * 100)},
                    {"memory_used_bytes", number_or_null(g.memory_used_bytes)},
                    {"sm_clock_mhz", number_or_null(g.sm_clock_hertz / 1e6)},
                    {"power_w", number_or_null(g.power_watts)},
                    {"throttled", g.throttled == 1}});
  }
  doc["gpus"] = gpus;
  doc["cpu_pct"] = number_or_null(
      window_s > 0 ? (now.process_cpu_seconds - base.process_cpu_seconds) / window_s * 100 : NAN);
  doc["rss_bytes"] = now.resident_memory_bytes;
  doc["spikes"] = now.spikes;
  doc["spike_period_s"] =
      now.spike_period_seconds > 0 ? nlohmann::json(now.spike_period_seconds) : nullptr;
  uint64_t detections = 0;
  for (uint64_t d : now.detections) detections += d;
  doc["detections"] = detections;
  doc["findings"] = live_findings(now, p50s, fps);
  return doc.dump();
}

}  // namespace ys
