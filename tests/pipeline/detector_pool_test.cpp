// DetectorPool on fake devices (fake_device.h: the CPU backend with set delays and failures), so
// that the several-GPU logic is proven without a GPU: results come back in source order and as
// one device gives them; a slow device gets fewer frames and the imbalance says so; a device
// that fails mid-run is reported with the frames it held while the others take the rest. Only
// counts and order are asserted: the delays are large against a loaded machine's noise.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "fake_device.h"
#include "pipeline/detector_pool.h"

namespace ys {
namespace {

using testing::fake_device_detector;
using testing::FakeDeviceSpec;

DetectorOptions tiny_options() {
  DetectorOptions o;
  o.model = "yolov8n.yaml";
  o.imgsz_h = o.imgsz_w = 64;
  o.threads = 1;
  o.nms.conf = 0.0f;  // synthetic weights: keep some boxes so that equality means something
  return o;
}

std::unique_ptr<Source> synthetic(int frames) {
  SourceSpec s;
  s.source = "synthetic";
  s.synthetic_frames = frames;
  s.synthetic_width = 96;
  s.synthetic_height = 64;
  return open_source(s);
}

DetectorPool fake_pool(const std::vector<FakeDeviceSpec>& specs) {
  return testing::fake_pool(tiny_options(), specs);
}

struct Delivered {
  std::vector<int64_t> index;  // source positions, in delivery order
  std::vector<std::vector<Detection>> detections;
};

PoolRun run_pool(DetectorPool& pool, Source& source, Delivered& out) {
  PoolRun r;
  pool.run({.source = &source,
            .deliver =
                [&](const DetectedBatch& b) {
                  for (size_t i = 0; i < b.frames.size(); ++i) {
                    out.index.push_back(b.frames[i].index);
                    out.detections.push_back(b.detections[i]);
                  }
                  return true;
                }},
           r);
  return r;
}

TEST(DeviceList, SplitsAnUltralyticsDeviceList) {
  EXPECT_EQ(device_list("0,1"), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(device_list("cuda:2,cuda:3"), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(device_list("cpu"), (std::vector<std::string>{"cpu"}));
  EXPECT_THROW(device_list("0,,1"), Error);
  EXPECT_THROW(device_list("0,0"), Error);
}

TEST(DetectorPool, ADetectorRefusesADeviceListNamingThePool) {
  DetectorOptions o = tiny_options();
  o.device = "0,1";
  try {
    Detector d(o);
    FAIL() << "a device list was accepted by one Detector";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("DetectorPool"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("device=0"), std::string::npos) << e.what();
  }
}

TEST(DetectorPool, ResultsComeInSourceOrderAndMatchOneDevice) {
  Detector one(tiny_options());
  auto src1 = synthetic(12);
  Delivered ref;
  run_frame_loop(
      {.detectors = {&one}, .source = src1.get(), .deliver = [&](const DetectedBatch& b) {
         for (size_t i = 0; i < b.frames.size(); ++i) {
           ref.index.push_back(b.frames[i].index);
           ref.detections.push_back(b.detections[i]);
         }
         return true;
       }});
  // The first device is slower, so batches finish out of order and must be put back.
  DetectorPool pool = fake_pool({{.name = "0", .delay_ms = 80}, {.name = "1"}, {.name = "2"}});
  auto src = synthetic(12);
  Delivered got;
  const PoolRun r = run_pool(pool, *src, got);
  EXPECT_EQ(r.delivered, 12);
  ASSERT_EQ(got.index.size(), 12u);
  for (size_t i = 0; i < got.index.size(); ++i) EXPECT_EQ(got.index[i], static_cast<int64_t>(i));
  ASSERT_EQ(got.detections.size(), ref.detections.size());
  for (size_t i = 0; i < ref.detections.size(); ++i) {
    ASSERT_EQ(got.detections[i].size(), ref.detections[i].size()) << "frame " << i;
    for (size_t j = 0; j < ref.detections[i].size(); ++j) {
      EXPECT_EQ(got.detections[i][j].cls, ref.detections[i][j].cls);
      EXPECT_EQ(got.detections[i][j].conf, ref.detections[i][j].conf);
    }
  }
  int64_t frames = 0;
  for (const DeviceRun& d : r.devices) frames += d.frames;
  EXPECT_EQ(frames, 12);
  EXPECT_FALSE(r.any_failed());
}

TEST(DetectorPool, ASlowDeviceGetsFewerFramesAndTheImbalanceSaysSo) {
  // 600 ms against a forward of a few ms at 64x64: the fast device runs several batches for each
  // slow one (the delivery window lets it run up to three ahead).
  DetectorPool pool = fake_pool({{.name = "0", .delay_ms = 600}, {.name = "1"}});
  auto src = synthetic(12);
  Delivered got;
  const PoolRun r = run_pool(pool, *src, got);
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_EQ(r.devices[0].device, "0");
  EXPECT_LT(r.devices[0].frames, r.devices[1].frames);
  EXPECT_EQ(r.devices[0].frames + r.devices[1].frames, 12);
  EXPECT_GT(frame_imbalance(r.devices), 0.3);
  const std::string line = describe_devices(r);
  EXPECT_NE(line.find("device 0: " + std::to_string(r.devices[0].frames) + " frames"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("imbalance"), std::string::npos) << line;
}

TEST(DetectorPool, AFailedDeviceIsReportedWithItsFramesAndTheOthersGoOn) {
  DetectorPool pool =
      fake_pool({{.name = "0", .delay_ms = 100}, {.name = "1", .delay_ms = 100, .fail_at = 2}});
  auto src = synthetic(12);
  Delivered got;
  const PoolRun r = run_pool(pool, *src, got);
  ASSERT_TRUE(r.any_failed());
  const DeviceRun& bad = r.devices[1];
  EXPECT_TRUE(bad.failed);
  EXPECT_EQ(bad.frames, 1);  // its first batch only
  ASSERT_EQ(bad.lost_frames.size(), 1u);
  EXPECT_NE(bad.error.find("Xid 79"), std::string::npos) << bad.error;
  EXPECT_FALSE(r.devices[0].failed);
  EXPECT_EQ(r.lost_frames(), 1);
  EXPECT_EQ(r.delivered, 11);
  // Every frame but the lost one, in source order.
  std::vector<int64_t> want;
  for (int64_t i = 0; i < 12; ++i)
    if (i != bad.lost_frames[0]) want.push_back(i);
  EXPECT_EQ(got.index, want);
  const std::vector<std::string> lines = describe_failures(r);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("device 1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("source frames " + std::to_string(bad.lost_frames[0])), std::string::npos)
      << lines[0];
}

// device=0,1 streams=2: two detectors per device, their figures summed per device.
TEST(DetectorPool, StreamsPerDeviceAreOneEntryPerDevice) {
  DetectorPool pool = fake_pool({{.name = "0", .delay_ms = 30},
                                 {.name = "1", .delay_ms = 30},
                                 {.name = "0", .delay_ms = 30},
                                 {.name = "1", .delay_ms = 30, .fail_at = 2}});
  ASSERT_EQ(pool.size(), 4u);
  auto src = synthetic(12);
  Delivered got;
  const PoolRun r = run_pool(pool, *src, got);
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_EQ(r.devices[0].device, "0");
  EXPECT_EQ(r.devices[1].device, "1");
  EXPECT_EQ(r.devices[0].frames + r.devices[1].frames + r.lost_frames(), 12);
  EXPECT_EQ(r.delivered, 11);
  // One of device 1's detectors failed: the device is reported failed with its lost frame, and
  // its other detector went on.
  EXPECT_TRUE(r.devices[1].failed);
  EXPECT_EQ(r.devices[1].lost_frames.size(), 1u);
  EXPECT_GT(r.devices[1].frames, 1) << "device 1's second detector took no frames";
  EXPECT_FALSE(r.devices[0].failed);
}

TEST(MergeDeviceRuns, SumsByDeviceInFirstAppearanceOrder) {
  std::vector<DeviceRun> runs = {
      {.device = "1", .frames = 3, .batches = 3, .busy_ms = 30, .read_ms = 1},
      {.device = "0", .frames = 5, .batches = 5, .busy_ms = 50, .read_ms = 2},
      {.device = "1",
       .frames = 2,
       .batches = 2,
       .busy_ms = 20,
       .read_ms = 3,
       .failed = true,
       .error = "lost",
       .lost_frames = {9, 4}}};
  const std::vector<DeviceRun> m = merge_device_runs(runs);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].device, "1");
  EXPECT_EQ(m[0].frames, 5);
  EXPECT_EQ(m[0].batches, 5);
  EXPECT_EQ(m[0].busy_ms, 50);
  EXPECT_EQ(m[0].read_ms, 4);
  EXPECT_TRUE(m[0].failed);
  EXPECT_EQ(m[0].error, "lost");
  EXPECT_EQ(m[0].lost_frames, (std::vector<int64_t>{4, 9}));
  EXPECT_EQ(m[1].device, "0");
  EXPECT_FALSE(m[1].failed);
}

TEST(DetectorPool, EveryDeviceFailingFailsTheRun) {
  DetectorPool pool = fake_pool({{.name = "0", .fail_at = 1}, {.name = "1", .fail_at = 1}});
  auto src = synthetic(6);
  Delivered got;
  PoolRun r;
  EXPECT_THROW(
      pool.run({.source = src.get(), .deliver = [](const DetectedBatch&) { return true; }}, r),
      std::runtime_error);
  EXPECT_TRUE(r.devices[0].failed);
  EXPECT_TRUE(r.devices[1].failed);
  EXPECT_TRUE(got.index.empty());
}

}  // namespace
}  // namespace ys
