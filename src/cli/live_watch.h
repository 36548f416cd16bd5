// What watches a `yolo predict` run while it runs (docs/METRICS.md): the live metrics, fed by the
// frame loop through FrameObserver; the embedded server (serve=True: the dashboard at /, its
// live.json, /metrics and the report folder; metrics=True alone: /metrics only), bound to host=
// (127.0.0.1 unless told otherwise) and port= before the first frame; the GPU gauges from NVML on
// a GPU device; and the console progress bar (verbose=False on a terminal). batch_end only adds
// to atomics and, a few times a second, redraws the bar: it never waits for a reader.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/progress_bar.h"
#include "pipeline/frame_loop.h"
#include "profiler/live_metrics.h"
#include "profiler/long_recorder.h"

namespace ys {

class NvmlSampler;
class LiveStatus;
class ReportServer;

class LiveWatch : public FrameObserver {
 public:
  // `report_dir`: where report.html will be written (made now, so it can be served from the
  // start); empty when the run writes no report. Throws ys::Error (kIo) when the server cannot
  // bind, and kUnsupported when this build has no server but serve= or metrics= asks for one.
  LiveWatch(const Config& c, const Detector& detector, std::optional<int64_t> frames_expected,
            const std::filesystem::path& report_dir);
  ~LiveWatch() override;

  bool batch_end(const DetectedBatch& batch, bool delivered) override;

  // The last frame is through: the bar is cleared, so that the run's summary starts on its line.
  void frames_done() { bar_.finish(); }
  // The run has ended: the dashboard shows the end and, when `report_ready`, links the report.
  void finish(bool report_ready) { metrics_.set_finished(report_ready); }
  // serve=True with a report: prints the address and serves until SIGINT or SIGTERM. Returns at
  // once otherwise (the server, if any, stops with this object).
  void serve_until_stopped();
  // Stops serving now and frees the port (for a server of the sealed report, which replaces it).
  void close_server();

  // Publishes the spikes `recorder` finds (profile_detail=long), and their period, checked at
  // most once a second from batch_end.
  void watch_spikes(LongRecorder* recorder) { spikes_from_ = recorder; }

  const LiveMetrics& metrics() const { return metrics_; }

 private:
  void publish_spikes();

  LiveMetrics metrics_;
  std::unique_ptr<NvmlSampler> gpu_;
  std::unique_ptr<LiveStatus> status_;
  std::unique_ptr<ReportServer> server_;
  ProgressBar bar_;
  std::optional<int64_t> frames_expected_;
  bool wait_at_end_ = false;
  LongRecorder* spikes_from_ = nullptr;
  std::vector<double> spike_times_;  // seconds since the recorder started, the last ones
  uint64_t spikes_ = 0;
  int64_t spikes_checked_ns_ = 0;
};

}  // namespace ys
