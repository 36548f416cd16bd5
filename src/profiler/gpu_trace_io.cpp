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

// ---- the fields of each record, listed once for writing and reading ----
// Fields<R>::each(record, f) calls f(key, member) for every member that the file stores; the
// writer and the reader both walk it, so a field added here is written and read back.

template <typename T>
struct Fields {
  static constexpr bool kIsRecord = false;
};

template <typename T>
concept Record = Fields<std::remove_const_t<T>>::kIsRecord;

template <>
struct Fields<GpuDeviceInfo> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& d, F&& f) {
    f("id", d.id);
    f("name", d.name);
    f("cc_major", d.cc_major);
    f("cc_minor", d.cc_minor);
    f("sm_count", d.sm_count);
    f("memory_bytes", d.memory_bytes);
    f("sm_clock_mhz", d.sm_clock_mhz);
    f("peak_fp32_tflops", d.peak_fp32_tflops);
    f("peak_fp16_tflops", d.peak_fp16_tflops);
    f("peak_bandwidth_gbs", d.peak_bandwidth_gbs);
    f("tensor_cores", d.tensor_cores);
  }
};

template <>
struct Fields<GpuKernelRecord> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& k, F&& f) {
    f("name", k.name);
    f("device", k.device);
    f("stream", k.stream);
    f("start_ns", k.start_ns);
    f("end_ns", k.end_ns);
    f("grid", k.grid);
    f("block", k.block);
    f("registers", k.registers);
    f("shared_bytes", k.shared_bytes);
    f("frame", k.frame);
    f("step", k.step);
    f("from_graph", k.from_graph);
    f("correlation", k.correlation);
  }
};

template <>
struct Fields<GpuCopyRecord> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& c, F&& f) {
    f("kind", c.kind);
    f("src", c.src);
    f("dst", c.dst);
    f("bytes", c.bytes);
    f("device", c.device);
    f("stream", c.stream);
    f("start_ns", c.start_ns);
    f("end_ns", c.end_ns);
    f("frame", c.frame);
    f("step", c.step);
    f("from_graph", c.from_graph);
    f("correlation", c.correlation);
  }
};

template <>
struct Fields<GpuSyncRecord> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& s, F&& f) {
    f("what", s.what);
    f("device", s.device);
    f("stream", s.stream);
    f("start_ns", s.start_ns);
    f("end_ns", s.end_ns);
    f("frame", s.frame);
  }
};

template <>
struct Fields<GpuApiRecord> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& a, F&& f) {
    f("name", a.name);
    f("start_ns", a.start_ns);
    f("end_ns", a.end_ns);
    f("thread", a.thread);
    f("frame", a.frame);
    f("step", a.step);
    f("correlation", a.correlation);
    f("launches_kernel", a.launches_kernel);
  }
};

template <>
struct Fields<GpuHostFrame> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& h, F&& f) {
    f("frame", h.frame);
    f("begin_ns", h.begin_ns);
    f("end_ns", h.end_ns);
  }
};

template <>
struct Fields<GpuLayerRef> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& l, F&& f) {
    f("id", l.id);
    f("label", l.label);
    f("type", l.type);
    f("stage", l.stage);
    f("steps", l.steps);
    f("flops", l.flops);
    f("bytes", l.bytes);
  }
};

template <>
struct Fields<GpuSpanFrame> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& s, F&& f) {
    f("frame", s.frame);
    f("ms", s.ms);
  }
};

template <>
struct Fields<NvmlSample> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& s, F&& f) {
    f("t_ns", s.t_ns);
    f("device", s.device);
    f("gpu_util_pct", s.gpu_util_pct);
    f("mem_util_pct", s.mem_util_pct);
    f("mem_used_bytes", s.mem_used_bytes);
    f("mem_total_bytes", s.mem_total_bytes);
    f("sm_clock_mhz", s.sm_clock_mhz);
    f("mem_clock_mhz", s.mem_clock_mhz);
    f("temperature_c", s.temperature_c);
    f("power_w", s.power_w);
    f("power_limit_w", s.power_limit_w);
    f("throttle_reasons", s.throttle_reasons);
  }
};

// The whole trace less "format" and "version", which are written first and checked before the
// rest is read.
template <>
struct Fields<GpuTrace> {
  static constexpr bool kIsRecord = true;
  template <typename R, typename F>
  static void each(R& t, F&& f) {
    f("detail", t.detail);
    f("devices", t.devices);
    f("window_begin_ns", t.window_begin_ns);
    f("window_end_ns", t.window_end_ns);
    f("span_starts", t.span_starts);
    f("span_frames", t.span_frames);
    f("kernels_per_run", t.kernels_per_run);
    f("cuda_graph", t.cuda_graph);
    f("cupti", t.cupti);
    f("cupti_why", t.cupti_why);
    f("kernels", t.kernels);
    f("copies", t.copies);
    f("syncs", t.syncs);
    f("api", t.api);
    f("dropped_records", t.dropped_records);
    f("clock_scale", t.clock_scale);
    f("clock_offset_ns", t.clock_offset_ns);
    f("nvml", t.nvml);
    f("nvml_why", t.nvml_why);
    f("samples", t.samples);
    f("profile_start_ns", t.profile_start_ns);
    f("host_frames", t.host_frames);
    f("layers", t.layers);
  }
};

// ---- writing ----

template <typename T>
json to_json_value(const T& v) {
  return json(v);
}

json to_json_value(const int (&d)[3]) {
  return json::array({d[0], d[1], d[2]});
}

json to_json_value(GpuCopyKind k) {
  return copy_kind_name(k);
}

json to_json_value(GpuMemoryKind k) {
  return memory_kind_name(k);
}

template <typename T>
json to_json_value(const std::optional<T>& v) {
  return v ? to_json_value(*v) : json(nullptr);
}

template <Record T>
json to_json_value(const T& r);

template <typename T>
json to_json_value(const std::vector<T>& values) {
  json a = json::array();
  for (const T& v : values) a.push_back(to_json_value(v));
  return a;
}

template <Record T>
json to_json_value(const T& r) {
  json j = json::object();
  Fields<T>::each(r, [&j](const char* key, const auto& v) { j[key] = to_json_value(v); });
  return j;
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

template <Record T>
void read(const json& v, const std::string& p, T& out);

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

template <Record T>
void read(const json& v, const std::string& p, T& out) {
  expect_object(v, p);
  Fields<T>::each(out, [&](const char* key, auto& field) { member(v, p, key, field); });
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
  j = to_json_value(t);
  j["format"] = "yoloscope-gpu-trace";
  j["version"] = kFormatVersion;
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
  read(j, p, r);
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
