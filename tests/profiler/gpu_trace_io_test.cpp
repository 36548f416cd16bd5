// GpuTrace JSON: every field survives a round trip, and a malformed document is an error that
// names the bad field.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "profiler/gpu_trace_io.h"

namespace ys {
namespace {

using nlohmann::json;

GpuTrace sample_trace() {
  GpuTrace t;
  t.detail = "detailed";
  GpuDeviceInfo d;
  d.id = 1;
  d.name = "NVIDIA H100 80GB HBM3";
  d.cc_major = 9;
  d.cc_minor = 0;
  d.sm_count = 132;
  d.memory_bytes = 85045215232;
  d.sm_clock_mhz = 1980;
  d.peak_fp32_tflops = 66.9;
  d.peak_fp16_tflops = 494.7;
  d.peak_bandwidth_gbs = 3352.3;
  d.tensor_cores = true;
  t.devices = {d};
  t.window_begin_ns = 1000;
  t.window_end_ns = 9000000000;
  t.span_starts = {0, 3, 7};
  t.span_frames = {{15, {0.25f, 0.5f, 1.125f}}, {16, {0.375f, 0.5f, 1.0f}}};
  t.kernels_per_run = 187;
  t.cuda_graph = true;
  t.cupti = true;
  t.cupti_why = "none";
  GpuKernelRecord k;
  k.name = "void cudnn::ampere::conv<__half>(int, float*)";
  k.device = 1;
  k.stream = 7;
  k.start_ns = 123456789012;
  k.end_ns = 123456799012;
  k.grid[0] = 40, k.grid[1] = 2, k.grid[2] = 3;
  k.block[0] = 128, k.block[1] = 4, k.block[2] = 1;
  k.registers = 96;
  k.shared_bytes = 49152;
  k.frame = 15;
  k.step = 4;
  k.from_graph = true;
  k.correlation = (uint64_t{1} << 63) + 5;
  GpuKernelRecord k2 = k;
  k2.name = "sigmoid";
  k2.frame = -1;
  k2.step = -1;
  k2.from_graph = false;
  t.kernels = {k, k2};
  GpuCopyRecord c;
  c.kind = GpuCopyKind::kDeviceToHost;
  c.src = GpuMemoryKind::kDevice;
  c.dst = GpuMemoryKind::kPageable;
  c.bytes = 705600;
  c.device = 1;
  c.stream = 7;
  c.start_ns = 50;
  c.end_ns = 90;
  c.frame = 16;
  c.step = -1;
  c.from_graph = false;
  c.correlation = 77;
  GpuCopyRecord m = c;
  m.kind = GpuCopyKind::kMemset;
  m.src = GpuMemoryKind::kUnknown;
  m.dst = GpuMemoryKind::kManaged;
  m.step = 9;
  m.from_graph = true;
  t.copies = {c, m};
  t.syncs = {{"stream", 1, 7, 100, 200, 15}, {"event", 0, 0, 300, 450, -1}};
  GpuApiRecord a;
  a.name = "cudaLaunchKernel";
  a.start_ns = 10;
  a.end_ns = 14;
  a.thread = 4000000000u;
  a.frame = 15;
  a.step = 4;
  a.correlation = 77;
  a.launches_kernel = true;
  t.api = {a};
  t.dropped_records = 3;
  t.clock_scale = 1.0000001;
  t.clock_offset_ns = -12345.5;
  t.nvml = true;
  t.nvml_why = "partly";
  NvmlSample full;
  full.t_ns = 5000;
  full.device = 1;
  full.gpu_util_pct = 87;
  full.mem_util_pct = 33.5;
  full.mem_used_bytes = 1 << 30;
  full.mem_total_bytes = int64_t{80} << 30;
  full.sm_clock_mhz = 1755;
  full.mem_clock_mhz = 2619;
  full.temperature_c = 61;
  full.power_w = 412.25;
  full.power_limit_w = 700;
  full.throttle_reasons = 0x24;
  NvmlSample sparse;
  sparse.t_ns = 6000;
  sparse.device = 1;
  sparse.power_w = 100;
  t.samples = {full, sparse};
  return t;
}

void expect_same(const GpuTrace& x, const GpuTrace& y) {
  EXPECT_EQ(x.detail, y.detail);
  ASSERT_EQ(x.devices.size(), y.devices.size());
  for (size_t i = 0; i < x.devices.size(); ++i) {
    const GpuDeviceInfo &a = x.devices[i], &b = y.devices[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.cc_major, b.cc_major);
    EXPECT_EQ(a.cc_minor, b.cc_minor);
    EXPECT_EQ(a.sm_count, b.sm_count);
    EXPECT_EQ(a.memory_bytes, b.memory_bytes);
    EXPECT_EQ(a.sm_clock_mhz, b.sm_clock_mhz);
    EXPECT_EQ(a.peak_fp32_tflops, b.peak_fp32_tflops);
    EXPECT_EQ(a.peak_fp16_tflops, b.peak_fp16_tflops);
    EXPECT_EQ(a.peak_bandwidth_gbs, b.peak_bandwidth_gbs);
    EXPECT_EQ(a.tensor_cores, b.tensor_cores);
  }
  EXPECT_EQ(x.window_begin_ns, y.window_begin_ns);
  EXPECT_EQ(x.window_end_ns, y.window_end_ns);
  EXPECT_EQ(x.span_starts, y.span_starts);
  ASSERT_EQ(x.span_frames.size(), y.span_frames.size());
  for (size_t i = 0; i < x.span_frames.size(); ++i) {
    EXPECT_EQ(x.span_frames[i].frame, y.span_frames[i].frame);
    EXPECT_EQ(x.span_frames[i].ms, y.span_frames[i].ms);
  }
  EXPECT_EQ(x.kernels_per_run, y.kernels_per_run);
  EXPECT_EQ(x.cuda_graph, y.cuda_graph);
  EXPECT_EQ(x.cupti, y.cupti);
  EXPECT_EQ(x.cupti_why, y.cupti_why);
  ASSERT_EQ(x.kernels.size(), y.kernels.size());
  for (size_t i = 0; i < x.kernels.size(); ++i) {
    const GpuKernelRecord &a = x.kernels[i], &b = y.kernels[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.device, b.device);
    EXPECT_EQ(a.stream, b.stream);
    EXPECT_EQ(a.start_ns, b.start_ns);
    EXPECT_EQ(a.end_ns, b.end_ns);
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(a.grid[j], b.grid[j]);
      EXPECT_EQ(a.block[j], b.block[j]);
    }
    EXPECT_EQ(a.registers, b.registers);
    EXPECT_EQ(a.shared_bytes, b.shared_bytes);
    EXPECT_EQ(a.frame, b.frame);
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.from_graph, b.from_graph);
    EXPECT_EQ(a.correlation, b.correlation);
  }
  ASSERT_EQ(x.copies.size(), y.copies.size());
  for (size_t i = 0; i < x.copies.size(); ++i) {
    const GpuCopyRecord &a = x.copies[i], &b = y.copies[i];
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.src, b.src);
    EXPECT_EQ(a.dst, b.dst);
    EXPECT_EQ(a.bytes, b.bytes);
    EXPECT_EQ(a.device, b.device);
    EXPECT_EQ(a.stream, b.stream);
    EXPECT_EQ(a.start_ns, b.start_ns);
    EXPECT_EQ(a.end_ns, b.end_ns);
    EXPECT_EQ(a.frame, b.frame);
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.from_graph, b.from_graph);
    EXPECT_EQ(a.correlation, b.correlation);
  }
  ASSERT_EQ(x.syncs.size(), y.syncs.size());
  for (size_t i = 0; i < x.syncs.size(); ++i) {
    const GpuSyncRecord &a = x.syncs[i], &b = y.syncs[i];
    EXPECT_EQ(a.what, b.what);
    EXPECT_EQ(a.device, b.device);
    EXPECT_EQ(a.stream, b.stream);
    EXPECT_EQ(a.start_ns, b.start_ns);
    EXPECT_EQ(a.end_ns, b.end_ns);
    EXPECT_EQ(a.frame, b.frame);
  }
  ASSERT_EQ(x.api.size(), y.api.size());
  for (size_t i = 0; i < x.api.size(); ++i) {
    const GpuApiRecord &a = x.api[i], &b = y.api[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.start_ns, b.start_ns);
    EXPECT_EQ(a.end_ns, b.end_ns);
    EXPECT_EQ(a.thread, b.thread);
    EXPECT_EQ(a.frame, b.frame);
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.correlation, b.correlation);
    EXPECT_EQ(a.launches_kernel, b.launches_kernel);
  }
  EXPECT_EQ(x.dropped_records, y.dropped_records);
  EXPECT_EQ(x.clock_scale, y.clock_scale);
  EXPECT_EQ(x.clock_offset_ns, y.clock_offset_ns);
  EXPECT_EQ(x.nvml, y.nvml);
  EXPECT_EQ(x.nvml_why, y.nvml_why);
  ASSERT_EQ(x.samples.size(), y.samples.size());
  for (size_t i = 0; i < x.samples.size(); ++i) {
    const NvmlSample &a = x.samples[i], &b = y.samples[i];
    EXPECT_EQ(a.t_ns, b.t_ns);
    EXPECT_EQ(a.device, b.device);
    EXPECT_EQ(a.gpu_util_pct, b.gpu_util_pct);
    EXPECT_EQ(a.mem_util_pct, b.mem_util_pct);
    EXPECT_EQ(a.mem_used_bytes, b.mem_used_bytes);
    EXPECT_EQ(a.mem_total_bytes, b.mem_total_bytes);
    EXPECT_EQ(a.sm_clock_mhz, b.sm_clock_mhz);
    EXPECT_EQ(a.mem_clock_mhz, b.mem_clock_mhz);
    EXPECT_EQ(a.temperature_c, b.temperature_c);
    EXPECT_EQ(a.power_w, b.power_w);
    EXPECT_EQ(a.power_limit_w, b.power_limit_w);
    EXPECT_EQ(a.throttle_reasons, b.throttle_reasons);
  }
}

// The message of the ys::Error that parsing `j` throws, or "" when it parses.
std::string parse_error(const json& j) {
  try {
    (void)j.get<GpuTrace>();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    return e.what();
  }
  return "";
}

TEST(GpuTraceIo, RoundTripKeepsEveryField) {
  const GpuTrace t = sample_trace();
  const json j = t;
  // Through text, as a fixture file is.
  const GpuTrace back = json::parse(j.dump()).get<GpuTrace>();
  expect_same(t, back);
  EXPECT_EQ(j["copies"][0]["kind"], "DtoH");
  EXPECT_EQ(j["copies"][0]["dst"], "pageable");
  EXPECT_TRUE(j["samples"][1]["gpu_util_pct"].is_null());
  EXPECT_TRUE(j["samples"][1]["throttle_reasons"].is_null());
  EXPECT_EQ(j["samples"][1]["power_w"], 100.0);
}

TEST(GpuTraceIo, FilesRoundTripAndBadFilesAreNamed) {
  const auto dir = std::filesystem::temp_directory_path() / "ys_gpu_trace_io_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "trace.json").string();
  const GpuTrace t = sample_trace();
  write_gpu_trace(path, t);
  expect_same(t, read_gpu_trace(path));

  const std::string missing = (dir / "absent.json").string();
  try {
    read_gpu_trace(missing);
    ADD_FAILURE() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  std::ofstream(path) << "{\"kernels\": [";
  try {
    read_gpu_trace(path);
    ADD_FAILURE() << "no error for truncated JSON";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::ofstream(path) << R"({"kernels": [{"start_ns": "soon"}]})";
  try {
    read_gpu_trace(path);
    ADD_FAILURE() << "no error for a bad field";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("kernels[0].start_ns"), std::string::npos) << what;
  }
  std::filesystem::remove_all(dir);
}

TEST(GpuTraceIo, MalformedDocumentsNameTheBadField) {
  const json good = sample_trace();
  struct Case {
    const char* pointer;
    json value;
    const char* field;
  };
  const Case cases[] = {
      {"/kernels/1/start_ns", "soon", "'kernels[1].start_ns' is not an integer"},
      {"/kernels/0/grid", json::array({1, 2}), "'kernels[0].grid'"},
      {"/kernels/0/registers", 1e40, "'kernels[0].registers'"},
      {"/copies/1/kind", "sideways", "'copies[1].kind' is not a copy kind"},
      {"/copies/0/src", 3, "'copies[0].src'"},
      {"/samples/0/throttle_reasons", -4, "'samples[0].throttle_reasons' is negative"},
      {"/samples/1/gpu_util_pct", "high", "'samples[1].gpu_util_pct'"},
      {"/api/0/thread", int64_t{1} << 40, "'api[0].thread' is out of range"},
      {"/span_frames", json::object(), "'span_frames' is not an array"},
      {"/span_frames/0/ms/2", true, "'span_frames[0].ms[2]'"},
      {"/span_starts/0", -1, "'span_starts[0]' is negative"},
      {"/devices/0", json::array(), "'devices[0]' is not an object"},
      {"/devices/0/tensor_cores", 1, "'devices[0].tensor_cores' is not a boolean"},
      {"/detail", 2, "'detail' is not a string"},
  };
  for (const Case& c : cases) {
    json bad = good;
    bad[json::json_pointer(c.pointer)] = c.value;
    const std::string what = parse_error(bad);
    EXPECT_NE(what.find(c.field), std::string::npos) << c.pointer << ": " << what;
  }
  EXPECT_NE(parse_error(json::array()).find("(document)"), std::string::npos);
  json future = good;
  future["version"] = 2;
  EXPECT_NE(parse_error(future).find("version"), std::string::npos);
}

TEST(GpuTraceIo, MissingFieldsKeepTheirDefaults) {
  const GpuTrace t = json::parse(R"({"detail": "events", "span_starts": [0, 5]})").get<GpuTrace>();
  EXPECT_EQ(t.detail, "events");
  EXPECT_EQ(t.span_starts, (std::vector<size_t>{0, 5}));
  EXPECT_EQ(t.kernels_per_run, -1);
  EXPECT_EQ(t.clock_scale, 1.0);
  EXPECT_TRUE(t.kernels.empty());
  const GpuTrace s = json::parse(R"({"samples": [{"t_ns": 3}]})").get<GpuTrace>();
  ASSERT_EQ(s.samples.size(), 1u);
  EXPECT_EQ(s.samples[0].t_ns, 3);
  EXPECT_FALSE(s.samples[0].power_w);
}

TEST(GpuTraceIo, NonFiniteFiguresBecomeNullAndReadBackAsNaN) {
  GpuTrace t;
  t.span_frames = {{0, {std::nanf("")}}};
  const GpuTrace back = json::parse(json(t).dump()).get<GpuTrace>();
  ASSERT_EQ(back.span_frames.size(), 1u);
  ASSERT_EQ(back.span_frames[0].ms.size(), 1u);
  EXPECT_TRUE(std::isnan(back.span_frames[0].ms[0]));
}

TEST(GpuTraceIo, KindNames) {
  EXPECT_STREQ(copy_kind_name(GpuCopyKind::kHostToDevice), "HtoD");
  EXPECT_STREQ(copy_kind_name(GpuCopyKind::kDeviceToHost), "DtoH");
  EXPECT_STREQ(copy_kind_name(GpuCopyKind::kDeviceToDevice), "DtoD");
  EXPECT_STREQ(copy_kind_name(GpuCopyKind::kHostToHost), "HtoH");
  EXPECT_STREQ(copy_kind_name(GpuCopyKind::kPeer), "PtoP");
  EXPECT_STREQ(copy_kind_name(GpuCopyKind::kMemset), "memset");
  EXPECT_STREQ(copy_kind_name(GpuCopyKind::kOther), "other");
  EXPECT_STREQ(memory_kind_name(GpuMemoryKind::kUnknown), "unknown");
  EXPECT_STREQ(memory_kind_name(GpuMemoryKind::kPageable), "pageable");
  EXPECT_STREQ(memory_kind_name(GpuMemoryKind::kPinned), "pinned");
  EXPECT_STREQ(memory_kind_name(GpuMemoryKind::kDevice), "device");
  EXPECT_STREQ(memory_kind_name(GpuMemoryKind::kManaged), "managed");
}

}  // namespace
}  // namespace ys
