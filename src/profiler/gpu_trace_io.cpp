#include "profiler/gpu_trace_io.h"

#include <concepts>
#include <fstream>
#include <limits>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace ys {

using nlohmann::json;

namespace {

constexpr int kFormatVersion = 1;

constexpr GpuCopyKind kCopyKinds[] = {GpuCopyKind::kHostToDevice,   GpuCopyKind::kDeviceToHost,
                                      GpuCopyKind::kDeviceToDevice, GpuCopyKind::kHostToHost,
                                      GpuCopyKind::kPeer,           GpuCopyKind::kMemset,
                                      GpuCopyKind::kOther};
constexpr GpuMemoryKind kMemoryKinds[] = {GpuMemoryKind::kUnknown, GpuMemoryKind::kPageable,
                                          GpuMemoryKind::kPinned, GpuMemoryKind::kDevice,
                                          GpuMemoryKind::kManaged};

// ---- writing ----

json dims(const int (&d)[3]) {
  return json::array({d[0], d[1], d[2]});
}

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json to_json_value(const GpuDeviceInfo& d) {
  return {{"id", d.id},
          {"name", d.name},
          {"cc_major", d.cc_major},
          {"cc_minor", d.cc_minor},
          {"sm_count", d.sm_count},
          {"memory_bytes", d.memory_bytes},
          {"sm_clock_mhz", d.sm_clock_mhz},
          {"peak_fp32_tflops", d.peak_fp32_tflops},
          {"peak_fp16_tflops", d.peak_fp16_tflops},
          {"peak_bandwidth_gbs", d.peak_bandwidth_gbs},
          {"tensor_cores", d.tensor_cores}};
}

json to_json_value(const GpuKernelRecord& k) {
  return {{"name", k.name},
          {"device", k.device},
          {"stream", k.stream},
          {"start_ns", k.start_ns},
          {"end_ns", k.end_ns},
          {"grid", dims(k.grid)},
          {"block", dims(k.block)},
          {"registers", k.registers},
          {"shared_bytes", k.shared_bytes},
          {"frame", k.frame},
          {"step", k.step},
          {"from_graph", k.from_graph},
          {"correlation", k.correlation}};
}

json to_json_value(const GpuCopyRecord& c) {
  return {{"kind", copy_kind_name(c.kind)},
          {"src", memory_kind_name(c.src)},
          {"dst", memory_kind_name(c.dst)},
          {"bytes", c.bytes},
          {"device", c.device},
          {"stream", c.stream},
          {"start_ns", c.start_ns},
          {"end_ns", c.end_ns},
          {"frame", c.frame},
          {"step", c.step},
          {"from_graph", c.from_graph},
          {"correlation", c.correlation}};
}

json to_json_value(const GpuSyncRecord& s) {
  return {{"what", s.what},         {"device", s.device}, {"stream", s.stream},
          {"start_ns", s.start_ns}, {"end_ns", s.end_ns}, {"frame", s.frame}};
}

json to_json_value(const GpuApiRecord& a) {
  return {{"name", a.name},
          {"start_ns", a.start_ns},
          {"end_ns", a.end_ns},
          {"thread", a.thread},
          {"frame", a.frame},
          {"step", a.step},
          {"correlation", a.correlation},
          {"launches_kernel", a.launches_kernel}};
}

json to_json_value(const GpuHostFrame& f) {
  return {{"frame", f.frame}, {"begin_ns", f.begin_ns}, {"end_ns", f.end_ns}};
}

json to_json_value(const GpuLayerRef& l) {
  return {{"id", l.id},       {"label", l.label}, {"type", l.type},  {"stage", l.stage},
          {"steps", l.steps}, {"flops", l.flops}, {"bytes", l.bytes}};
}

json to_json_value(const GpuSpanFrame& f) {
  return {{"frame", f.frame}, {"ms", f.ms}};
}

json to_json_value(const NvmlSample& s) {
  return {{"t_ns", s.t_ns},
          {"device", s.device},
          {"gpu_util_pct", opt(s.gpu_util_pct)},
          {"mem_util_pct", opt(s.mem_util_pct)},
          {"mem_used_bytes", opt(s.mem_used_bytes)},
          {"mem_total_bytes", opt(s.mem_total_bytes)},
          {"sm_clock_mhz", opt(s.sm_clock_mhz)},
          {"mem_clock_mhz", opt(s.mem_clock_mhz)},
          {"temperature_c", opt(s.temperature_c)},
          {"power_w", opt(s.power_w)},
          {"power_limit_w", opt(s.power_limit_w)},
          {"throttle_reasons", opt(s.throttle_reasons)}};
}

template <typename T>
json array_of(const std::vector<T>& records) {
  json a = json::array();
  for (const T& r : records) a.push_back(to_json_value(r));
  return a;
}

// ---- reading ----
// Each reader takes the value and its path in the document, so that an error can name the field.

[[noreturn]] void bad(const std::string& path, const char* what) {
  fail(ErrorKind::kBadInput, "GPU trace: field '", path, "' ", what);
}

std::string member_path(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : cat(path, ".", key);
}

void read(const json& v, const std::string& p, std::string& out) {
  if (!v.is_string()) bad(p, "is not a string");
  out = v.get<std::string>();
}

void read(const json& v, const std::string& p, bool& out) {
  if (!v.is_boolean()) bad(p, "is not a boolean");
  out = v.get<bool>();
}

// Non-finite doubles are written by nlohmann as null, so null reads back as NaN.
void read(const json& v, const std::string& p, double& out) {
  if (v.is_null()) {
    out = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  if (!v.is_number()) bad(p, "is not a number");
  out = v.get<double>();
}

void read(const json& v, const std::string& p, float& out) {
  double d = 0;
  read(v, p, d);
  out = static_cast<float>(d);
}

template <typename T>
concept Integer = std::integral<T> && !std::same_as<T, bool>;

template <Integer T>
void read(const json& v, const std::string& p, T& out) {
  if (!v.is_number_integer()) bad(p, "is not an integer");
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) bad(p, "is out of range");
    out = static_cast<T>(u);
    return;
  }
  const auto s = v.get<int64_t>();
  if constexpr (std::is_unsigned_v<T>) {
    if (s < 0) bad(p, "is negative");
    if (static_cast<uint64_t>(s) > static_cast<uint64_t>(std::numeric_limits<T>::max()))
      bad(p, "is out of range");
  } else {
    if (s < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        s > static_cast<int64_t>(std::numeric_limits<T>::max()))
      bad(p, "is out of range");
  }
  out = static_cast<T>(s);
}

void read(const json& v, const std::string& p, int (&out)[3]) {
  if (!v.is_array() || v.size() != 3) bad(p, "is not an array of 3 integers");
  for (size_t i = 0; i < 3; ++i) read(v[i], cat(p, "[", i, "]"), out[i]);
}

void read(const json& v, const std::string& p, GpuCopyKind& out) {
  if (v.is_string()) {
    for (GpuCopyKind k : kCopyKinds) {
      if (v.get<std::string>() == copy_kind_name(k)) {
        out = k;
        return;
      }
    }
  }
  bad(p, "is not a copy kind (HtoD, DtoH, DtoD, HtoH, PtoP, memset, other)");
}

void read(const json& v, const std::string& p, GpuMemoryKind& out) {
  if (v.is_string()) {
    for (GpuMemoryKind k : kMemoryKinds) {
      if (v.get<std::string>() == memory_kind_name(k)) {
        out = k;
        return;
      }
    }
  }
  bad(p, "is not a memory kind (unknown, pageable, pinned, device, managed)");
}

void read(const json& v, const std::string& p, GpuDeviceInfo& out);
void read(const json& v, const std::string& p, GpuKernelRecord& out);
void read(const json& v, const std::string& p, GpuCopyRecord& out);
void read(const json& v, const std::string& p, GpuSyncRecord& out);
void read(const json& v, const std::string& p, GpuApiRecord& out);
void read(const json& v, const std::string& p, GpuSpanFrame& out);
void read(const json& v, const std::string& p, GpuHostFrame& out);
void read(const json& v, const std::string& p, GpuLayerRef& out);
void read(const json& v, const std::string& p, NvmlSample& out);

template <typename T>
void read(const json& v, const std::string& p, std::optional<T>& out) {
  if (v.is_null()) {
    out.reset();
    return;
  }
  T x{};
  read(v, p, x);
  out = x;
}

template <typename T>
void read(const json& v, const std::string& p, std::vector<T>& out) {
  if (!v.is_array()) bad(p, "is not an array");
  out.assign(v.size(), T{});
  for (size_t i = 0; i < v.size(); ++i) read(v[i], cat(p, "[", i, "]"), out[i]);
}

// A missing member keeps `out` as it is (see the header).
template <typename T>
void member(const json& obj, const std::string& p, const char* key, T& out) {
  auto it = obj.find(key);
  if (it != obj.end()) read(*it, member_path(p, key), out);
}

void expect_object(const json& v, const std::string& p) {
  if (!v.is_object()) bad(p.empty() ? std::string("(document)") : p, "is not an object");
}

void read(const json& v, const std::string& p, GpuDeviceInfo& d) {
  expect_object(v, p);
  member(v, p, "id", d.id);
  member(v, p, "name", d.name);
  member(v, p, "cc_major", d.cc_major);
  member(v, p, "cc_minor", d.cc_minor);
  member(v, p, "sm_count", d.sm_count);
  member(v, p, "memory_bytes", d.memory_bytes);
  member(v, p, "sm_clock_mhz", d.sm_clock_mhz);
  member(v, p, "peak_fp32_tflops", d.peak_fp32_tflops);
  member(v, p, "peak_fp16_tflops", d.peak_fp16_tflops);
  member(v, p, "peak_bandwidth_gbs", d.peak_bandwidth_gbs);
  member(v, p, "tensor_cores", d.tensor_cores);
}

void read(const json& v, const std::string& p, GpuKernelRecord& k) {
  expect_object(v, p);
  member(v, p, "name", k.name);
  member(v, p, "device", k.device);
  member(v, p, "stream", k.stream);
  member(v, p, "start_ns", k.start_ns);
  member(v, p, "end_ns", k.end_ns);
  member(v, p, "grid", k.grid);
  member(v, p, "block", k.block);
  member(v, p, "registers", k.registers);
  member(v, p, "shared_bytes", k.shared_bytes);
  member(v, p, "frame", k.frame);
  member(v, p, "step", k.step);
  member(v, p, "from_graph", k.from_graph);
  member(v, p, "correlation", k.correlation);
}

void read(const json& v, const std::string& p, GpuCopyRecord& c) {
  expect_object(v, p);
  member(v, p, "kind", c.kind);
  member(v, p, "src", c.src);
  member(v, p, "dst", c.dst);
  member(v, p, "bytes", c.bytes);
  member(v, p, "device", c.device);
  member(v, p, "stream", c.stream);
  member(v, p, "start_ns", c.start_ns);
  member(v, p, "end_ns", c.end_ns);
  member(v, p, "frame", c.frame);
  member(v, p, "step", c.step);
  member(v, p, "from_graph", c.from_graph);
  member(v, p, "correlation", c.correlation);
}

void read(const json& v, const std::string& p, GpuSyncRecord& s) {
  expect_object(v, p);
  member(v, p, "what", s.what);
  member(v, p, "device", s.device);
  member(v, p, "stream", s.stream);
  member(v, p, "start_ns", s.start_ns);
  member(v, p, "end_ns", s.end_ns);
  member(v, p, "frame", s.frame);
}

void read(const json& v, const std::string& p, GpuApiRecord& a) {
  expect_object(v, p);
  member(v, p, "name", a.name);
  member(v, p, "start_ns", a.start_ns);
  member(v, p, "end_ns", a.end_ns);
  member(v, p, "thread", a.thread);
  member(v, p, "frame", a.frame);
  member(v, p, "step", a.step);
  member(v, p, "correlation", a.correlation);
  member(v, p, "launches_kernel", a.launches_kernel);
}

void read(const json& v, const std::string& p, GpuHostFrame& f) {
  expect_object(v, p);
  member(v, p, "frame", f.frame);
  member(v, p, "begin_ns", f.begin_ns);
  member(v, p, "end_ns", f.end_ns);
}

void read(const json& v, const std::string& p, GpuLayerRef& l) {
  expect_object(v, p);
  member(v, p, "id", l.id);
  member(v, p, "label", l.label);
  member(v, p, "type", l.type);
  member(v, p, "stage", l.stage);
  member(v, p, "steps", l.steps);
  member(v, p, "flops", l.flops);
  member(v, p, "bytes", l.bytes);
}

void read(const json& v, const std::string& p, GpuSpanFrame& f) {
  expect_object(v, p);
  member(v, p, "frame", f.frame);
  member(v, p, "ms", f.ms);
}

void read(const json& v, const std::string& p, NvmlSample& s) {
  expect_object(v, p);
  member(v, p, "t_ns", s.t_ns);
  member(v, p, "device", s.device);
  member(v, p, "gpu_util_pct", s.gpu_util_pct);
  member(v, p, "mem_util_pct", s.mem_util_pct);
  member(v, p, "mem_used_bytes", s.mem_used_bytes);
  member(v, p, "mem_total_bytes", s.mem_total_bytes);
  member(v, p, "sm_clock_mhz", s.sm_clock_mhz);
  member(v, p, "mem_clock_mhz", s.mem_clock_mhz);
  member(v, p, "temperature_c", s.temperature_c);
  member(v, p, "power_w", s.power_w);
  member(v, p, "power_limit_w", s.power_limit_w);
  member(v, p, "throttle_reasons", s.throttle_reasons);
}

}  // namespace

const char* copy_kind_name(GpuCopyKind k) {
  switch (k) {
    case GpuCopyKind::kHostToDevice:
      return "HtoD";
    case GpuCopyKind::kDeviceToHost:
      return "DtoH";
    case GpuCopyKind::kDeviceToDevice:
      return "DtoD";
    case GpuCopyKind::kHostToHost:
      return "HtoH";
    case GpuCopyKind::kPeer:
      return "PtoP";
    case GpuCopyKind::kMemset:
      return "memset";
    case GpuCopyKind::kOther:
      return "other";
  }
  return "other";
}

const char* memory_kind_name(GpuMemoryKind k) {
  switch (k) {
    case GpuMemoryKind::kUnknown:
      return "unknown";
    case GpuMemoryKind::kPageable:
      return "pageable";
    case GpuMemoryKind::kPinned:
      return "pinned";
    case GpuMemoryKind::kDevice:
      return "device";
    case GpuMemoryKind::kManaged:
      return "managed";
  }
  return "unknown";
}

void to_json(json& j, const GpuTrace& t) {
  j = {{"format", "yoloscope-gpu-trace"},
       {"version", kFormatVersion},
       {"detail", t.detail},
       {"devices", array_of(t.devices)},
       {"window_begin_ns", t.window_begin_ns},
       {"window_end_ns", t.window_end_ns},
       {"span_starts", t.span_starts},
       {"span_frames", array_of(t.span_frames)},
       {"kernels_per_run", t.kernels_per_run},
       {"cuda_graph", t.cuda_graph},
       {"cupti", t.cupti},
       {"cupti_why", t.cupti_why},
       {"kernels", array_of(t.kernels)},
       {"copies", array_of(t.copies)},
       {"syncs", array_of(t.syncs)},
       {"api", array_of(t.api)},
       {"dropped_records", t.dropped_records},
       {"clock_scale", t.clock_scale},
       {"clock_offset_ns", t.clock_offset_ns},
       {"nvml", t.nvml},
       {"nvml_why", t.nvml_why},
       {"samples", array_of(t.samples)},
       {"profile_start_ns", t.profile_start_ns},
       {"host_frames", array_of(t.host_frames)},
       {"layers", array_of(t.layers)}};
}

void from_json(const json& j, GpuTrace& t) {
  const std::string p;
  expect_object(j, p);
  int version = kFormatVersion;
  member(j, p, "version", version);
  if (version != kFormatVersion)
    fail(ErrorKind::kBadInput, "GPU trace: field 'version' is ", version, ", this build reads ",
         kFormatVersion);
  GpuTrace r;
  member(j, p, "detail", r.detail);
  member(j, p, "devices", r.devices);
  member(j, p, "window_begin_ns", r.window_begin_ns);
  member(j, p, "window_end_ns", r.window_end_ns);
  member(j, p, "span_starts", r.span_starts);
  member(j, p, "span_frames", r.span_frames);
  member(j, p, "kernels_per_run", r.kernels_per_run);
  member(j, p, "cuda_graph", r.cuda_graph);
  member(j, p, "cupti", r.cupti);
  member(j, p, "cupti_why", r.cupti_why);
  member(j, p, "kernels", r.kernels);
  member(j, p, "copies", r.copies);
  member(j, p, "syncs", r.syncs);
  member(j, p, "api", r.api);
  member(j, p, "dropped_records", r.dropped_records);
  member(j, p, "clock_scale", r.clock_scale);
  member(j, p, "clock_offset_ns", r.clock_offset_ns);
  member(j, p, "nvml", r.nvml);
  member(j, p, "nvml_why", r.nvml_why);
  member(j, p, "samples", r.samples);
  member(j, p, "profile_start_ns", r.profile_start_ns);
  member(j, p, "host_frames", r.host_frames);
  member(j, p, "layers", r.layers);
  t = std::move(r);
}

void write_gpu_trace(const std::string& path, const GpuTrace& trace) {
  std::ofstream f(path, std::ios::binary);
  if (!f) fail(ErrorKind::kIo, "cannot write GPU trace '", path, "'");
  // Kernel names come from the driver; a stray non-UTF-8 byte must not lose the whole trace.
  f << json(trace).dump(-1, ' ', false, json::error_handler_t::replace);
  if (!f) fail(ErrorKind::kIo, "cannot write GPU trace '", path, "'");
}

GpuTrace read_gpu_trace(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(ErrorKind::kIo, "cannot read GPU trace '", path, "'");
  json j;
  try {
    j = json::parse(f);
  } catch (const json::parse_error& e) {
    fail(ErrorKind::kBadInput, "GPU trace '", path, "' is not valid JSON: ", e.what());
  }
  try {
    return j.get<GpuTrace>();
  } catch (const Error& e) {
    fail(e.kind(), "'", path, "': ", e.what());
  }
}

}  // namespace ys
