#include "profiler/gpu_profiler.h"

#include <algorithm>
#include <exception>

#include "core/clock.h"
#include "profiler/cupti_tracer.h"
#include "profiler/gpu_device_info.h"
#include "profiler/nvml_sampler.h"

namespace ys {

std::vector<size_t> layer_span_starts(const Graph& graph) {
  std::vector<size_t> starts;
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const int module = graph.nodes[k].module;
    if (k == 0 || module < 0 || module != graph.nodes[k - 1].module) starts.push_back(k);
  }
  return starts;
}

struct GpuProfiler::Impl {
  DeviceTimer* timer;  // the backend's; every use below is behind `gpu`, which needs one
  GpuProfilerOptions options;
  GpuTrace trace;
  bool gpu = false;
  bool events = false;  // the backend times spans
  bool traced = false;  // the current frame
  bool in_frame = false;
  bool preparing = false;  // the current frame is outside the window (prepare_frame)
  int64_t prepared_frames = 0;
  bool finished = false;
  bool long_tracing = false;  // a long run's frames are being traced (long_frame)
  std::string kernels_why;
  int64_t frame = -1;
  int64_t traced_frames = 0;
  std::unique_ptr<NvmlSampler> nvml;
  std::unique_ptr<CuptiTracer> cupti;

  Impl(Backend& b, GpuProfilerOptions o) : timer(b.device_timer()), options(std::move(o)) {}

  // Times the `n`-th group of consecutive layers: the groups take turns over the frames, so a
  // frame carries a few events rather than one per layer (GpuProfilerOptions::spans_per_frame).
  void time_layer_group(int64_t n) {
    const size_t spans = trace.span_starts.size();
    const size_t per = std::max<size_t>(1, options.spans_per_frame);
    const size_t groups = std::max<size_t>(1, (spans + per - 1) / per);
    const size_t g = static_cast<size_t>(n) % groups;
    timer->enable_span_timing(true, g * spans / groups, (g + 1) * spans / groups);
  }
};

namespace {

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace

GpuProfiler::GpuProfiler(Backend& backend, const Graph& graph, GpuProfilerOptions options)
    : impl_(std::make_unique<Impl>(backend, std::move(options))) {
  Impl& p = *impl_;
  GpuTrace& t = p.trace;
  t.detail = p.options.detailed ? "detailed" : "events";
  const int device = p.timer ? p.timer->device_index() : -1;
  p.gpu = backend.device() == DeviceKind::kCuda && device >= 0;
  if (!p.gpu) {
    const std::string why = "the " + backend.name() + " backend runs on the host: no GPU to trace";
    t.nvml_why = why;
    if (p.options.detailed) t.cupti_why = why;
    p.kernels_why = why;
    return;
  }

  std::string why;
  if (auto info = query_gpu_device(device, &why)) {
    t.devices.push_back(*info);
  } else {
    GpuDeviceInfo unknown;
    unknown.id = device;
    unknown.name = "unknown (" + why + ")";
    t.devices.push_back(unknown);
  }

  if (p.options.nvml_period_ms <= 0) {
    t.nvml_why = "NVML sampling is off (nvml_period_ms=0)";
  } else {
    try {
      p.nvml = std::make_unique<NvmlSampler>(std::vector<int>{device}, p.options.nvml_period_ms,
                                             p.options.nvml_library);
      if (!p.nvml->available()) {
        t.nvml_why = p.nvml->why();
        p.nvml.reset();
      }
    } catch (...) {
      t.nvml_why = what_of(std::current_exception());
      p.nvml.reset();
    }
  }

  if (p.options.detailed || p.options.ring) {
    p.cupti = std::make_unique<CuptiTracer>(device);
    if (p.cupti->available()) {
      if (!p.options.detailed) p.cupti->stream_to(p.options.ring);
      // Installing the observer drops the backend's captured graphs: the next run captures them
      // again with the tracer mapping each graph node to its step.
      p.timer->set_device_observer(p.cupti.get());
    } else {
      if (p.options.detailed) t.cupti_why = p.cupti->why();
      p.kernels_why = p.cupti->why();
      p.cupti.reset();
    }
  }

  // CUDA events time the layers in detailed mode too. Replayed from a CUDA Graph without the
  // event nodes, CUPTI's kernel records came back with impossible durations on the H200 (a
  // median of 2 ms in a 0.6 ms forward), so the timed graph is what detailed frames replay.
  try {
    const std::vector<size_t> starts = layer_span_starts(graph);
    p.events = !starts.empty() && p.timer->set_span_timing(starts);
    if (p.events) t.span_starts = starts;
  } catch (...) {
    p.events = false;
  }
}

GpuProfiler::~GpuProfiler() {
  Impl& p = *impl_;
  try {
    if (p.cupti) p.timer->set_device_observer(nullptr);
    if (p.events) {
      p.timer->enable_span_timing(false);
      p.timer->set_span_timing({});
    }
  } catch (...) {
    // A backend that cannot detach cleanly is being torn down anyway.
  }
}

void GpuProfiler::begin_frame(int64_t index, bool traced) {
  Impl& p = *impl_;
  if (!p.gpu || p.finished) return;
  if (p.long_tracing) long_frame(false);  // a window frame after a long run's traced ones
  if (p.trace.window_begin_ns == 0) p.trace.window_begin_ns = now_ns();
  p.frame = index;
  p.traced = traced;
  p.in_frame = true;
  if (p.events && traced) p.time_layer_group(p.traced_frames++);
  if (p.cupti && traced && p.options.detailed) p.cupti->begin_frame(index);
}

void GpuProfiler::prepare_frame() {
  Impl& p = *impl_;
  if (!p.gpu || p.finished || !p.events) return;
  p.preparing = true;
  p.time_layer_group(p.prepared_frames++);
}

void GpuProfiler::long_frame(bool trace) {
  Impl& p = *impl_;
  if (!p.gpu || p.finished || !p.cupti || p.options.detailed || trace == p.long_tracing) return;
  p.long_tracing = trace;
  // Traced frames replay a timed graph, as in detailed mode: CUPTI's kernel records of the
  // plain graph had impossible durations on the H200. Group 0 was captured before the window.
  if (p.events) {
    if (trace)
      p.time_layer_group(0);
    else
      p.timer->enable_span_timing(false);
  }
  p.cupti->set_tracing(trace);
}

std::string GpuProfiler::kernels_why() const {
  const Impl& p = *impl_;
  if (p.cupti && !p.options.detailed) return "";
  return p.kernels_why.empty() ? "no CUPTI ring was given" : p.kernels_why;
}

void GpuProfiler::end_frame() {
  Impl& p = *impl_;
  if (p.preparing) {
    p.preparing = false;
    p.timer->enable_span_timing(false);
    return;
  }
  if (!p.gpu || !p.in_frame) return;
  p.in_frame = false;
  if (p.cupti && p.traced && p.options.detailed) p.cupti->end_frame();
  if (p.events && p.traced) {
    std::vector<float> ms = p.timer->last_span_ms();
    if (!ms.empty()) p.trace.span_frames.push_back({p.frame, std::move(ms)});
  }
  if (p.events) p.timer->enable_span_timing(false);
  p.trace.window_end_ns = now_ns();
}

GpuTrace GpuProfiler::finish() {
  Impl& p = *impl_;
  if (p.finished) return p.trace;
  if (p.in_frame) end_frame();
  p.finished = true;
  GpuTrace& t = p.trace;
  if (!p.gpu) return t;
  if (t.window_begin_ns == 0) t.window_begin_ns = t.window_end_ns = now_ns();
  t.kernels_per_run = p.timer->kernels_per_run();
  t.cuda_graph = t.kernels_per_run >= 0;
  if (p.cupti && p.options.detailed) p.cupti->finish(t);
  if (p.cupti && !p.options.detailed) p.cupti->set_tracing(false);
  if (p.nvml) {
    p.nvml->stop();
    t.samples = p.nvml->samples();
    t.nvml = true;
  }
  return t;
}

}  // namespace ys
