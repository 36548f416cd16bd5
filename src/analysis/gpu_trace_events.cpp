// gpu_trace_events (analysis/chrome_trace.h) in named steps: the lanes (a process per device, a
// kernel lane and a copies lane per stream), then each kind of record in its lanes, in the
// order chrome://tracing lists them.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "analysis/chrome_trace.h"
#include "analysis/trace_lanes.h"
#include "core/rounding.h"

namespace ys {
namespace {

using nlohmann::json;
using namespace trace_lanes;

struct LaneKey {
  int device;
  int64_t stream;
  auto operator<=>(const LaneKey&) const = default;
};

// What every step needs: times relative to the run's start, the layer of an execution step, the
// host frame of a record, and the events written so far.
class EventContext {
 public:
  EventContext(const std::vector<LayerResult>& layers, const std::vector<FrameRecord>& frames,
               int64_t start_ns, json& ev)
      : ev(ev), start_ns_(start_ns), layers_(layers) {
    for (const LayerResult& l : layers)
      for (size_t st : l.steps) steps_ = std::max(steps_, st + 1);
    layer_of_step_.assign(steps_, -1);
    for (size_t i = 0; i < layers.size(); ++i)
      for (size_t st : layers[i].steps) layer_of_step_[st] = static_cast<int>(i);
    for (const FrameRecord& f : frames) frame_by_index_[f.index] = &f;
  }

  // Differences in integer nanoseconds first (steady-clock readings exceed a double's exact
  // integers), and a duration as the difference of rounded ends, so a layer span that ends with
  // its last kernel ends exactly where that kernel does.
  double us(int64_t ns) const { return round_to(static_cast<double>(ns - start_ns_) / 1e3, 3); }
  double dur(int64_t a, int64_t b) const { return round_to(us(b) - us(a), 3); }

  const LayerResult* layer_of(int64_t step) const {
    if (step < 0 || static_cast<size_t>(step) >= steps_) return nullptr;
    const int l = layer_of_step_[static_cast<size_t>(step)];
    return l < 0 ? nullptr : &layers_[static_cast<size_t>(l)];
  }

  const FrameRecord* frame(int64_t index) const {
    auto it = frame_by_index_.find(index);
    return it == frame_by_index_.end() ? nullptr : it->second;
  }

  // The host pipeline stage (not inference) whose window holds a kernel's start, or -1.
  int stage_of(const GpuKernelRecord& k) const {
    const FrameRecord* f = frame(k.frame);
    if (!f) return -1;
    for (size_t st = 0; st < kPipelineStageCount; ++st) {
      if (st != static_cast<size_t>(PipelineStage::kInference) && f->begin_ns[st] != 0 &&
          f->begin_ns[st] <= k.start_ns && k.start_ns <= f->end_ns[st])
        return static_cast<int>(st);
    }
    return -1;
  }

  // Attribution shared by kernels, copies and API calls: only what is known.
  void where(json& args, int64_t frame, int64_t step) const {
    if (frame >= 0) args["frame"] = frame;
    if (step >= 0) args["step"] = step;
    if (const LayerResult* l = layer_of(step)) {
      args["layer"] = l->id;
      args["layer_label"] = l->label;
    }
  }

  void span(const std::string& name, const char* cat, int pid, int tid, int64_t b, int64_t e,
            json args) const {
    ev.push_back({{"name", name},
                  {"cat", cat},
                  {"ph", "X"},
                  {"pid", pid},
                  {"tid", tid},
                  {"ts", us(b)},
                  {"dur", dur(b, e)},
                  {"args", std::move(args)}});
  }

  json& ev;

 private:
  int64_t start_ns_;
  const std::vector<LayerResult>& layers_;
  size_t steps_ = 0;
  std::vector<int> layer_of_step_;
  std::map<int64_t, const FrameRecord*> frame_by_index_;
};

// The device processes and their stream lanes.
struct DeviceLanes {
  std::map<int, std::string> device_names;
  std::map<LaneKey, std::vector<const GpuKernelRecord*>> kernels;
  std::map<LaneKey, std::vector<const GpuCopyRecord*>> copies;
  std::map<LaneKey, int> kernel_tid, copy_tid;
  // Events mode: span times of the backend's device, which has no streams to show.
  bool span_lane = false;
  int span_device = 0;
};

DeviceLanes collect_lanes(const GpuTrace& gpu) {
  DeviceLanes d;
  for (const GpuDeviceInfo& info : gpu.devices) d.device_names[info.id] = info.name;
  for (const GpuKernelRecord& k : gpu.kernels) {
    d.kernels[{k.device, k.stream}].push_back(&k);
    d.device_names.emplace(k.device, "");
  }
  for (const GpuCopyRecord& c : gpu.copies) {
    d.copies[{c.device, c.stream}].push_back(&c);
    d.device_names.emplace(c.device, "");
  }
  for (const NvmlSample& n : gpu.samples) d.device_names.emplace(n.device, "");
  d.span_lane = gpu.kernels.empty() && !gpu.span_frames.empty();
  d.span_device = gpu.devices.empty() ? 0 : gpu.devices.front().id;
  if (d.span_lane) d.device_names.emplace(d.span_device, "");
  return d;
}

void name_devices(const DeviceLanes& d, json& ev) {
  for (const auto& [id, name] : d.device_names) {
    const int pid = kGpuPidBase + id;
    ev.push_back(name_event("process_name", pid,
                            "GPU " + std::to_string(id) + (name.empty() ? "" : ": " + name)));
    ev.push_back({{"ph", "M"},
                  {"pid", pid},
                  {"name", "process_sort_index"},
                  {"args", {{"sort_index", pid}}}});
  }
}

// One lane per stream for kernels and one for its copies, numbered in stream order.
void number_stream_lanes(DeviceLanes& d, json& ev) {
  std::set<LaneKey> streams;
  for (const auto& [key, list] : d.kernels) streams.insert(key);
  for (const auto& [key, list] : d.copies) streams.insert(key);
  std::map<int, int> next_tid;
  for (const LaneKey& key : streams) {
    int& tid = next_tid.try_emplace(key.device, d.span_lane && key.device == d.span_device ? 2 : 1)
                   .first->second;
    const int pid = kGpuPidBase + key.device;
    const std::string stream = "stream " + std::to_string(key.stream);
    if (d.kernels.count(key)) {
      d.kernel_tid[key] = tid;
      thread_events(pid, tid++, stream, ev);
    }
    if (d.copies.count(key)) {
      d.copy_tid[key] = tid;
      thread_events(pid, tid++, stream + " copies", ev);
    }
  }
}

// The span enclosing kernels [i, j) of one frame and layer (or pipeline stage) on a lane.
void layer_span(const EventContext& cx, const std::vector<const GpuKernelRecord*>& list, size_t i,
                size_t j, const LayerResult* layer, int stage, int pid, int tid) {
  int64_t end = list[i]->end_ns;
  double busy_ns = 0;
  for (size_t k = i; k < j; ++k) {
    end = std::max(end, list[k]->end_ns);
    busy_ns += static_cast<double>(list[k]->end_ns - list[k]->start_ns);
  }
  json args = {
      {"frame", list[i]->frame}, {"kernels", j - i}, {"kernel_ms", round_to(busy_ns / 1e6, 4)}};
  std::string name;
  if (layer) {
    name = layer->label;
    args["layer"] = layer->id;
    args["stage"] = stage_name(layer->stage);
    args["type"] = layer->type;
  } else {
    args["stage"] = pipeline_stage_name(static_cast<PipelineStage>(stage));
    name = args["stage"].get<std::string>() + " (GPU pipeline)";
  }
  cx.span(name, "layer", pid, tid, list[i]->start_ns, end, std::move(args));
}

void kernel_event(const EventContext& cx, const GpuKernelRecord& r, int pid, int tid) {
  json args = {{"grid", {r.grid[0], r.grid[1], r.grid[2]}},
               {"block", {r.block[0], r.block[1], r.block[2]}},
               {"registers", r.registers},
               {"shared_bytes", r.shared_bytes},
               {"stream", r.stream},
               {"correlation", r.correlation},
               {"from_graph", r.from_graph}};
  cx.where(args, r.frame, r.step);
  cx.span(r.name, "kernel", pid, tid, r.start_ns, r.end_ns, std::move(args));
}

void kernel_lanes(const EventContext& cx, DeviceLanes& d) {
  for (auto& [key, list] : d.kernels) {
    const int pid = kGpuPidBase + key.device, tid = d.kernel_tid[key];
    std::sort(list.begin(), list.end(), [](const GpuKernelRecord* a, const GpuKernelRecord* b) {
      return a->start_ns < b->start_ns;
    });
    // A layer's span covers each run of consecutive kernels of one frame and layer on this
    // stream: it encloses exactly its kernels, so they nest under it, and spans of one lane
    // never overlap even where a layer's kernels were interleaved with another's.
    for (size_t i = 0; i < list.size();) {
      const LayerResult* layer = list[i]->frame >= 0 ? cx.layer_of(list[i]->step) : nullptr;
      // A kernel outside the forward (the GPU pipeline's letterbox, decoding, NMS) nests under
      // the stage that launched it, which waits for it and so holds it in its host window.
      const int stage = layer || list[i]->frame < 0 ? -1 : cx.stage_of(*list[i]);
      size_t j = i + 1;
      while ((layer || stage >= 0) && j < list.size() && list[j]->frame == list[i]->frame &&
             cx.layer_of(list[j]->step) == layer && (layer || cx.stage_of(*list[j]) == stage))
        ++j;
      if (layer || stage >= 0) layer_span(cx, list, i, j, layer, stage, pid, tid);
      for (size_t k = i; k < j; ++k) kernel_event(cx, *list[k], pid, tid);
      i = j;
    }
  }
}

void copy_lanes(const EventContext& cx, DeviceLanes& d) {
  for (const auto& [key, list] : d.copies) {
    const int pid = kGpuPidBase + key.device, tid = d.copy_tid[key];
    for (const GpuCopyRecord* c : list) {
      const int64_t b = c->start_ns, e = c->end_ns;
      const std::string direction = copy_kind_name(c->kind);
      json args = {
          {"direction", direction},
          {"bytes", c->bytes},
          {"src", memory_kind_name(c->src)},
          {"dst", memory_kind_name(c->dst)},
          {"gb_per_s",
           e > b ? round_to(static_cast<double>(c->bytes) / static_cast<double>(e - b), 3) : 0.0},
          {"stream", c->stream},
          {"correlation", c->correlation},
          {"from_graph", c->from_graph}};
      cx.where(args, c->frame, c->step);
      cx.span(c->kind == GpuCopyKind::kMemset ? "memset" : "memcpy " + direction, "copy", pid, tid,
              b, e, std::move(args));
    }
  }
}

// Events mode: the layers' span times on one lane of the device.
void span_lane(const EventContext& cx, const GpuTrace& gpu, const DeviceLanes& d) {
  const int pid = kGpuPidBase + d.span_device;
  thread_events(pid, 1, "layers (CUDA events)", cx.ev);
  const size_t inference = static_cast<size_t>(PipelineStage::kInference);
  for (const GpuSpanFrame& sf : gpu.span_frames) {
    const FrameRecord* f = cx.frame(sf.frame);
    if (!f || f->begin_ns[inference] == 0) continue;
    // Events time each span's length, not its start: spans are laid end to end from the
    // frame's inference begin, which is where the device can have started at the earliest.
    int64_t t = f->begin_ns[inference];
    for (size_t i = 0; i < sf.ms.size() && i < gpu.span_starts.size(); ++i) {
      const int64_t e = t + std::llround(static_cast<double>(sf.ms[i]) * 1e6);
      const LayerResult* layer = cx.layer_of(static_cast<int64_t>(gpu.span_starts[i]));
      json args = {{"frame", sf.frame},
                   {"device_ms", round_to(sf.ms[i], 4)},
                   {"placement", "end to end from the frame's inference begin"}};
      if (layer) {
        args["layer"] = layer->id;
        args["stage"] = stage_name(layer->stage);
        args["type"] = layer->type;
      }
      cx.span(layer ? layer->label : "steps from " + std::to_string(gpu.span_starts[i]), "layer",
              pid, 1, t, e, std::move(args));
      t = e;
    }
  }
}

void wait_lane(const EventContext& cx, const GpuTrace& gpu) {
  if (!gpu.syncs.empty()) thread_events(kHostPid, kWaitTid, "GPU waits", cx.ev);
  for (const GpuSyncRecord& w : gpu.syncs) {
    json args = {{"what", w.what}, {"device", w.device}, {"stream", w.stream}};
    if (w.frame >= 0) args["frame"] = w.frame;
    cx.span("wait for " + w.what, "sync", kHostPid, kWaitTid, w.start_ns, w.end_ns,
            std::move(args));
  }
}

// CUDA API calls, one host lane per calling thread.
void api_lanes(const EventContext& cx, const GpuTrace& gpu) {
  std::map<uint32_t, int> api_tid;
  for (const GpuApiRecord& a : gpu.api) api_tid.emplace(a.thread, 0);
  int next_api = kApiTidBase;
  for (auto& [thread, tid] : api_tid) {
    tid = next_api++;
    thread_events(
        kHostPid, tid,
        api_tid.size() == 1 ? "CUDA API" : "CUDA API (thread " + std::to_string(thread) + ")",
        cx.ev);
  }
  for (const GpuApiRecord& a : gpu.api) {
    json args = {{"correlation", a.correlation}, {"launches_kernel", a.launches_kernel}};
    cx.where(args, a.frame, a.step);
    cx.span(a.name, "api", kHostPid, api_tid[a.thread], a.start_ns, a.end_ns, std::move(args));
  }
}

// NVML readings as counters, one track per figure and device; a figure NVML could not give is
// left out of that sample rather than drawn as zero.
void nvml_counters(const EventContext& cx, const GpuTrace& gpu) {
  for (const NvmlSample& n : gpu.samples) {
    const int pid = kGpuPidBase + n.device;
    auto counter = [&](const char* name, const char* unit, double v, int digits) {
      if (!std::isfinite(v)) return;
      cx.ev.push_back({{"name", name},
                       {"ph", "C"},
                       {"pid", pid},
                       {"ts", cx.us(n.t_ns)},
                       {"args", {{unit, round_to(v, digits)}}}});
    };
    if (n.gpu_util_pct) counter("GPU utilization", "percent", *n.gpu_util_pct, 1);
    if (n.mem_used_bytes)
      counter("GPU memory used", "MiB", static_cast<double>(*n.mem_used_bytes) / 1048576.0, 1);
    if (n.sm_clock_mhz) counter("SM clock", "MHz", *n.sm_clock_mhz, 0);
    if (n.temperature_c) counter("GPU temperature", "C", *n.temperature_c, 1);
    if (n.power_w) counter("GPU power", "W", *n.power_w, 1);
  }
}

}  // namespace

json gpu_trace_events(const GpuTrace& gpu, const std::vector<LayerResult>& layers,
                      const std::vector<FrameRecord>& frames, int64_t start_ns) {
  json ev = json::array();
  const EventContext cx(layers, frames, start_ns, ev);
  DeviceLanes lanes = collect_lanes(gpu);
  name_devices(lanes, ev);
  number_stream_lanes(lanes, ev);
  kernel_lanes(cx, lanes);
  copy_lanes(cx, lanes);
  if (lanes.span_lane) span_lane(cx, gpu, lanes);
  wait_lane(cx, gpu);
  api_lanes(cx, gpu);
  nvml_counters(cx, gpu);
  return ev;
}

}  // namespace ys
