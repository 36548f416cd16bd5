#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "core/rounding.h"
#include "analysis/chrome_trace.h"
#include "analysis/trace_lanes.h"

namespace ys {
namespace {

using nlohmann::json;
using namespace trace_lanes;

struct LaneKey {
  int device;
  int64_t stream;
  auto operator<=>(const LaneKey&) const = default;
};

}  // namespace

json gpu_trace_events(const GpuTrace& gpu, const std::vector<LayerResult>& layers,
                      const std::vector<FrameRecord>& frames, int64_t start_ns) {
  // Differences in integer nanoseconds first (steady-clock readings exceed a double's exact
  // integers), and a duration as the difference of rounded ends, so a layer span that ends with
  // its last kernel ends exactly where that kernel does.
  auto us = [&](int64_t ns) { return round_to(static_cast<double>(ns - start_ns) / 1e3, 3); };
  auto dur = [&](int64_t a, int64_t b) { return round_to(us(b) - us(a), 3); };
  size_t steps = 0;
  for (const LayerResult& l : layers)
    for (size_t st : l.steps) steps = std::max(steps, st + 1);
  std::vector<int> layer_of_step(steps, -1);
  for (size_t i = 0; i < layers.size(); ++i)
    for (size_t st : layers[i].steps) layer_of_step[st] = static_cast<int>(i);
  auto layer_of = [&](int64_t step) -> const LayerResult* {
    if (step < 0 || static_cast<size_t>(step) >= steps) return nullptr;
    const int l = layer_of_step[static_cast<size_t>(step)];
    return l < 0 ? nullptr : &layers[static_cast<size_t>(l)];
  };
  std::map<int64_t, const FrameRecord*> frame_by_index;
  for (const FrameRecord& f : frames) frame_by_index[f.index] = &f;
  auto stage_of = [&](const GpuKernelRecord& k) {
    auto it = frame_by_index.find(k.frame);
    if (it == frame_by_index.end()) return -1;
    for (size_t st = 0; st < kPipelineStageCount; ++st) {
      const FrameRecord& f = *it->second;
      if (st != static_cast<size_t>(PipelineStage::kInference) && f.begin_ns[st] != 0 &&
          f.begin_ns[st] <= k.start_ns && k.start_ns <= f.end_ns[st])
        return static_cast<int>(st);
    }
    return -1;
  };
  // Attribution shared by kernels, copies and API calls: only what is known.
  auto where = [&](json& args, int64_t frame, int64_t step) {
    if (frame >= 0) args["frame"] = frame;
    if (step >= 0) args["step"] = step;
    if (const LayerResult* l = layer_of(step)) {
      args["layer"] = l->id;
      args["layer_label"] = l->label;
    }
  };

  json ev = json::array();
  std::map<int, std::string> device_names;
  for (const GpuDeviceInfo& d : gpu.devices) device_names[d.id] = d.name;
  std::map<LaneKey, std::vector<const GpuKernelRecord*>> kernel_lanes;
  std::map<LaneKey, std::vector<const GpuCopyRecord*>> copy_lanes;
  for (const GpuKernelRecord& k : gpu.kernels) {
    kernel_lanes[{k.device, k.stream}].push_back(&k);
    device_names.emplace(k.device, "");
  }
  for (const GpuCopyRecord& c : gpu.copies) {
    copy_lanes[{c.device, c.stream}].push_back(&c);
    device_names.emplace(c.device, "");
  }
  for (const NvmlSample& n : gpu.samples) device_names.emplace(n.device, "");
  // Events mode: span times of the backend's device, which has no streams to show.
  const bool span_lane = gpu.kernels.empty() && !gpu.span_frames.empty();
  const int span_device = gpu.devices.empty() ? 0 : gpu.devices.front().id;
  if (span_lane) device_names.emplace(span_device, "");

  for (const auto& [id, name] : device_names) {
    const int pid = kGpuPidBase + id;
    ev.push_back(name_event("process_name", pid,
                            "GPU " + std::to_string(id) + (name.empty() ? "" : ": " + name)));
    ev.push_back({{"ph", "M"},
                  {"pid", pid},
                  {"name", "process_sort_index"},
                  {"args", {{"sort_index", pid}}}});
  }

  // One lane per stream for kernels and one for its copies, numbered in stream order.
  std::set<LaneKey> streams;
  for (const auto& [key, list] : kernel_lanes) streams.insert(key);
  for (const auto& [key, list] : copy_lanes) streams.insert(key);
  std::map<LaneKey, int> kernel_tid, copy_tid;
  std::map<int, int> next_tid;
  for (const LaneKey& key : streams) {
    int& tid = next_tid.try_emplace(key.device, span_lane && key.device == span_device ? 2 : 1)
                   .first->second;
    const int pid = kGpuPidBase + key.device;
    const std::string stream = "stream " + std::to_string(key.stream);
    if (kernel_lanes.count(key)) {
      kernel_tid[key] = tid;
      thread_events(pid, tid++, stream, ev);
    }
    if (copy_lanes.count(key)) {
      copy_tid[key] = tid;
      thread_events(pid, tid++, stream + " copies", ev);
    }
  }

  for (auto& [key, list] : kernel_lanes) {
    const int pid = kGpuPidBase + key.device, tid = kernel_tid[key];
    std::sort(list.begin(), list.end(), [](const GpuKernelRecord* a, const GpuKernelRecord* b) {
      return a->start_ns < b->start_ns;
    });
    // A layer's span covers each run of consecutive kernels of one frame and layer on this
    // stream: it encloses exactly its kernels, so they nest under it, and spans of one lane
    // never overlap even where a layer's kernels were interleaved with another's.
    for (size_t i = 0; i < list.size();) {
      const LayerResult* layer = list[i]->frame >= 0 ? layer_of(list[i]->step) : nullptr;
      // A kernel outside the forward (the GPU pipeline's letterbox, decoding, NMS) nests under
      // the stage that launched it, which waits for it and so holds it in its host window.
      const int stage = layer || list[i]->frame < 0 ? -1 : stage_of(*list[i]);
      size_t j = i + 1;
      int64_t end = list[i]->end_ns;
      double busy_ns = static_cast<double>(list[i]->end_ns - list[i]->start_ns);
      while ((layer || stage >= 0) && j < list.size() && list[j]->frame == list[i]->frame &&
             layer_of(list[j]->step) == layer && (layer || stage_of(*list[j]) == stage)) {
        end = std::max(end, list[j]->end_ns);
        busy_ns += static_cast<double>(list[j]->end_ns - list[j]->start_ns);
        ++j;
      }
      if (layer || stage >= 0) {
        json args = {{"frame", list[i]->frame},
                     {"kernels", j - i},
                     {"kernel_ms", round_to(busy_ns / 1e6, 4)}};
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
        const int64_t b = list[i]->start_ns;
        ev.push_back({{"name", name},
                      {"cat", "layer"},
                      {"ph", "X"},
                      {"pid", pid},
                      {"tid", tid},
                      {"ts", us(b)},
                      {"dur", dur(b, end)},
                      {"args", args}});
      }
      for (size_t k = i; k < j; ++k) {
        const GpuKernelRecord& r = *list[k];
        json args = {{"grid", {r.grid[0], r.grid[1], r.grid[2]}},
                     {"block", {r.block[0], r.block[1], r.block[2]}},
                     {"registers", r.registers},
                     {"shared_bytes", r.shared_bytes},
                     {"stream", r.stream},
                     {"correlation", r.correlation},
                     {"from_graph", r.from_graph}};
        where(args, r.frame, r.step);
        ev.push_back({{"name", r.name},
                      {"cat", "kernel"},
                      {"ph", "X"},
                      {"pid", pid},
                      {"tid", tid},
                      {"ts", us(r.start_ns)},
                      {"dur", dur(r.start_ns, r.end_ns)},
                      {"args", args}});
      }
      i = j;
    }
  }

  for (const auto& [key, list] : copy_lanes) {
    const int pid = kGpuPidBase + key.device, tid = copy_tid[key];
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
      where(args, c->frame, c->step);
      ev.push_back({{"name", c->kind == GpuCopyKind::kMemset ? "memset" : "memcpy " + direction},
                    {"cat", "copy"},
                    {"ph", "X"},
                    {"pid", pid},
                    {"tid", tid},
                    {"ts", us(b)},
                    {"dur", dur(b, e)},
                    {"args", args}});
    }
  }

  if (span_lane) {
    const int pid = kGpuPidBase + span_device;
    thread_events(pid, 1, "layers (CUDA events)", ev);
    std::map<int64_t, const FrameRecord*> by_index;
    for (const FrameRecord& f : frames) by_index[f.index] = &f;
    const size_t inference = static_cast<size_t>(PipelineStage::kInference);
    for (const GpuSpanFrame& sf : gpu.span_frames) {
      const auto it = by_index.find(sf.frame);
      if (it == by_index.end() || it->second->begin_ns[inference] == 0) continue;
      // Events time each span's length, not its start: spans are laid end to end from the
      // frame's inference begin, which is where the device can have started at the earliest.
      int64_t t = it->second->begin_ns[inference];
      for (size_t i = 0; i < sf.ms.size() && i < gpu.span_starts.size(); ++i) {
        const int64_t e = t + std::llround(static_cast<double>(sf.ms[i]) * 1e6);
        const LayerResult* layer = layer_of(static_cast<int64_t>(gpu.span_starts[i]));
        json args = {{"frame", sf.frame},
                     {"device_ms", round_to(sf.ms[i], 4)},
                     {"placement", "end to end from the frame's inference begin"}};
        if (layer) {
          args["layer"] = layer->id;
          args["stage"] = stage_name(layer->stage);
          args["type"] = layer->type;
        }
        ev.push_back(
            {{"name", layer ? layer->label : "steps from " + std::to_string(gpu.span_starts[i])},
             {"cat", "layer"},
             {"ph", "X"},
             {"pid", pid},
             {"tid", 1},
             {"ts", us(t)},
             {"dur", dur(t, e)},
             {"args", args}});
        t = e;
      }
    }
  }

  if (!gpu.syncs.empty()) thread_events(kHostPid, kWaitTid, "GPU waits", ev);
  for (const GpuSyncRecord& w : gpu.syncs) {
    json args = {{"what", w.what}, {"device", w.device}, {"stream", w.stream}};
    if (w.frame >= 0) args["frame"] = w.frame;
    ev.push_back({{"name", "wait for " + w.what},
                  {"cat", "sync"},
                  {"ph", "X"},
                  {"pid", kHostPid},
                  {"tid", kWaitTid},
                  {"ts", us(w.start_ns)},
                  {"dur", dur(w.start_ns, w.end_ns)},
                  {"args", args}});
  }

  std::map<uint32_t, int> api_tid;
  for (const GpuApiRecord& a : gpu.api) api_tid.emplace(a.thread, 0);
  int next_api = kApiTidBase;
  for (auto& [thread, tid] : api_tid) {
    tid = next_api++;
    thread_events(
        kHostPid, tid,
        api_tid.size() == 1 ? "CUDA API" : "CUDA API (thread " + std::to_string(thread) + ")", ev);
  }
  for (const GpuApiRecord& a : gpu.api) {
    json args = {{"correlation", a.correlation}, {"launches_kernel", a.launches_kernel}};
    where(args, a.frame, a.step);
    ev.push_back({{"name", a.name},
                  {"cat", "api"},
                  {"ph", "X"},
                  {"pid", kHostPid},
                  {"tid", api_tid[a.thread]},
                  {"ts", us(a.start_ns)},
                  {"dur", dur(a.start_ns, a.end_ns)},
                  {"args", args}});
  }

  // NVML readings as counters, one track per figure and device; a figure NVML could not give is
  // left out of that sample rather than drawn as zero.
  for (const NvmlSample& n : gpu.samples) {
    const int pid = kGpuPidBase + n.device;
    auto counter = [&](const char* name, const char* unit, double v, int digits) {
      if (!std::isfinite(v)) return;
      ev.push_back({{"name", name},
                    {"ph", "C"},
                    {"pid", pid},
                    {"ts", us(n.t_ns)},
                    {"args", {{unit, round_to(v, digits)}}}});
    };
    if (n.gpu_util_pct) counter("GPU utilization", "percent", *n.gpu_util_pct, 1);
    if (n.mem_used_bytes)
      counter("GPU memory used", "MiB", static_cast<double>(*n.mem_used_bytes) / 1048576.0, 1);
    if (n.sm_clock_mhz) counter("SM clock", "MHz", *n.sm_clock_mhz, 0);
    if (n.temperature_c) counter("GPU temperature", "C", *n.temperature_c, 1);
    if (n.power_w) counter("GPU power", "W", *n.power_w, 1);
  }
  return ev;
}

}  // namespace ys
