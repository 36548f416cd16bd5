#include "cli/live_watch.h"

#include <unistd.h>

#include <iostream>
#include <vector>

#include "analysis/spike_period.h"
#include "core/clock.h"
#include "core/error.h"
#include "profiler/nvml_sampler.h"
#include "report/dashboard_page.h"
#include "session/live_exposition.h"
#include "session/live_status.h"
#ifdef YS_HAVE_SERVER
#include "cli/server_setup.h"
#endif

namespace ys {
#ifndef YS_HAVE_SERVER
// Built without cpp-httplib no server is ever made, but the member's destructor needs a type.
class ReportServer {};
#endif
namespace {

// device=0, device=cuda:1 -> {0}, {1}; cpu -> none.
std::vector<int> gpu_devices(const std::string& device) {
  std::string d = device.rfind("cuda:", 0) == 0 ? device.substr(5) : device;
  if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos) return {};
  return {std::stoi(d)};
}

}  // namespace

LiveWatch::LiveWatch(const Config& c, const Detector& detector,
                     std::optional<int64_t> frames_expected,
                     const std::filesystem::path& report_dir)
    : metrics_(detector.model().names, detector.executor().backend().name(), detector.model().name),
      bar_(stdout, progress_bar_wanted(c.get_bool("verbose"), STDOUT_FILENO)),
      frames_expected_(frames_expected) {
  metrics_.set_frames_expected(frames_expected);
  const bool serve = c.get_bool("serve"), metrics_only = c.get_bool("metrics") && !serve;
  if (!serve && !metrics_only) return;
  // NVML is read on its own thread every half second, only for what a reader will see.
  gpu_ = start_gpu_gauges(metrics_, gpu_devices(detector.options().device));
#ifdef YS_HAVE_SERVER
  std::string root;
  if (serve && !report_dir.empty()) {
    std::filesystem::create_directories(report_dir);
    root = report_dir.string();
  }
  server_ = std::make_unique<ReportServer>(root, c.get_string("host"), c.get_int("port"),
                                           server_options(c));
  const LiveMetrics& m = metrics_;
  server_->set_metrics([&m] { return prometheus_metrics(m); });
  if (serve) {
    status_ = std::make_unique<LiveStatus>(metrics_);
    LiveStatus& status = *status_;
    server_->set_route("/", "text/html; charset=utf-8",
                       [] { return std::string(live_dashboard_page()); });
    server_->set_route("/live.json", "application/json", [&status] { return status.json(); });
    std::cout << "Live dashboard at " << server_->base_url() << ", Prometheus metrics at "
              << server_->base_url() << "metrics" << std::endl;
  } else {
    std::cout << "Prometheus metrics at " << server_->base_url() << "metrics" << std::endl;
  }
  announce_server(*server_,
                  serve ? "this run's dashboard, metrics and report" : "this run's metrics",
                  server_->base_url(), c);
  wait_at_end_ = serve && !report_dir.empty();
#else
  (void)report_dir;
  fail(ErrorKind::kUnsupported, serve ? "serve=True" : "metrics=True",
       ": this build has no HTTP server (cpp-httplib was not found)");
#endif
}

LiveWatch::~LiveWatch() = default;

void LiveWatch::publish_spikes() {
  const int64_t now = now_ns();
  spikes_checked_ns_ = now;
  const std::vector<SpikeOccurrence> found = spikes_from_->occurrences(spikes_);
  if (found.empty()) return;
  spikes_ += found.size();
  const int64_t origin = spikes_from_->start_ns();
  for (const SpikeOccurrence& o : found)
    spike_times_.push_back(static_cast<double>(o.begin_ns - origin) / 1e9);
  // The period of the latest spikes; older ones are in the report. Folding a few hundred times
  // takes well under a millisecond, and only when a spike has appeared.
  constexpr size_t kKept = 256;
  if (spike_times_.size() > kKept)
    spike_times_.erase(spike_times_.begin(),
                       spike_times_.end() - static_cast<std::ptrdiff_t>(kKept));
  const LiveSnapshot s = metrics_.snapshot();
  const double elapsed = static_cast<double>(now - origin) / 1e9;
  const double frame_s =
      s.frames ? static_cast<double>(s.t_ns - s.start_ns) / 1e9 / static_cast<double>(s.frames)
               : 0.01;
  const PeriodEstimate p = estimate_period(spike_times_, spike_times_.front(), elapsed, frame_s);
  metrics_.set_spikes(spikes_, p.periodic ? p.period : 0);
}

bool LiveWatch::batch_end(const DetectedBatch& batch, bool /*delivered*/) {
  std::array<double, kPipelineStageCount> seconds;
  // A stage the batch did not run (box decoding fused on a GPU, say) has 0 ms: not a sample.
  for (size_t i = 0; i < kPipelineStageCount; ++i)
    seconds[i] = batch.stage_ms[i] > 0 ? batch.stage_ms[i] / 1e3 : -1;
  if (!batch.frames.empty())
    metrics_.record_batch(seconds, static_cast<int>(batch.frames.size()), batch.detections);
  if (spikes_from_ && now_ns() - spikes_checked_ns_ >= 1'000'000'000) publish_spikes();
  bar_.update(batch.first_frame + static_cast<int64_t>(batch.frames.size()), frames_expected_,
              spikes_);
  return true;
}

void LiveWatch::serve_until_stopped() {
#ifdef YS_HAVE_SERVER
  if (server_ && wait_at_end_) server_->wait();
#endif
}

void LiveWatch::close_server() {
#ifdef YS_HAVE_SERVER
  server_.reset();
#endif
  wait_at_end_ = false;
}

}  // namespace ys
