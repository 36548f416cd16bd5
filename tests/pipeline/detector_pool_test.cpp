// run_detectors: several detectors on one source give what one detector gives, in source order,
// and stop cleanly on a full output, an early stop and a failing source.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "core/error.h"
#include "pipeline/detector_pool.h"
#include "test_data.h"

namespace ys {
namespace {

DetectorOptions cpu_options(const std::string& model, int imgsz) {
  DetectorOptions o;
  o.model = model;
  o.imgsz_h = o.imgsz_w = imgsz;
  o.threads = 1;
  return o;
}

// Every image of ../shared/data/images twice over, as one source: 8 frames.
std::unique_ptr<Source> images_twice() {
  const std::string dir = testing::testdata("data/images");
  std::vector<std::string> files;
  for (int round = 0; round < 2; ++round)
    for (const char* name : {"basketball1.png", "fruits.jpg", "messi5.jpg", "noise.jpg"})
      files.push_back(dir + "/" + name);
  return open_media_files(files, "the shared images twice");
}

std::vector<DetectedBatch> run(const std::vector<Detector*>& detectors, Source& source) {
  std::vector<DetectedBatch> out;
  std::atomic<bool> stop{false};
  run_detectors(
      detectors, source,
      [&](DetectedBatch& b) {
        out.push_back(std::move(b));
        return true;
      },
      stop);
  return out;
}

TEST(DetectorPool, TwoDetectorsGiveOneDetectorsResultsInOrder) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  const DetectorOptions o = cpu_options(testing::testdata("models/yolov8n-coco.onnx"), 640);
  Detector a(o), b(o);
  auto one_src = images_twice(), two_src = images_twice();
  const std::vector<DetectedBatch> one = run({&a}, *one_src), two = run({&a, &b}, *two_src);
  ASSERT_EQ(one.size(), 8u);
  ASSERT_EQ(two.size(), 8u);
  size_t found = 0;
  for (size_t i = 0; i < one.size(); ++i) {
    ASSERT_EQ(two[i].frames.size(), 1u);
    EXPECT_EQ(two[i].frames[0].source, one[i].frames[0].source) << "batch " << i;
    ASSERT_EQ(two[i].detections[0].size(), one[i].detections[0].size()) << "batch " << i;
    for (size_t k = 0; k < one[i].detections[0].size(); ++k) {
      EXPECT_EQ(two[i].detections[0][k].cls, one[i].detections[0][k].cls);
      EXPECT_FLOAT_EQ(two[i].detections[0][k].conf, one[i].detections[0][k].conf);
    }
    found += one[i].detections[0].size();
    EXPECT_GT(two[i].stage_ms[static_cast<size_t>(PipelineStage::kInference)], 0.0);
  }
  EXPECT_GT(found, 10u) << "the shared images hold people, fruit and a ball";
}

TEST(DetectorPool, BatchesAStridedSourceInOrder) {
  DetectorOptions o = cpu_options("yolov8n.yaml", 64);
  o.batch = 2;
  Detector a(o), b(o);
  auto src = stride_source(open_synthetic_source(11, 64, 48, 30), 3);
  const std::vector<DetectedBatch> out = run({&a, &b}, *src);  // frames 0, 3, 6, 9
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].frames.size(), 2u);
  ASSERT_EQ(out[1].frames.size(), 2u);
  EXPECT_EQ(out[0].frames[0].index, 0);
  EXPECT_EQ(out[0].frames[1].index, 3);
  EXPECT_EQ(out[1].frames[0].index, 6);
  EXPECT_EQ(out[1].frames[1].index, 9);
}

TEST(DetectorPool, StopsWhenDeliveryFailsOrStopIsAsked) {
  const DetectorOptions o = cpu_options("yolov8n.yaml", 64);
  Detector a(o), b(o);
  auto src = open_synthetic_source(1000, 64, 48, 30);
  std::atomic<bool> stop{false};
  int delivered = 0;
  run_detectors(
      {&a, &b}, *src, [&](DetectedBatch&) { return ++delivered < 3; }, stop);
  EXPECT_EQ(delivered, 3);
  delivered = 0;
  run_detectors(
      {&a, &b}, *src,
      [&](DetectedBatch&) {
        stop = ++delivered == 2;
        return true;
      },
      stop);
  EXPECT_EQ(delivered, 2);
}

TEST(DetectorPool, AnExceptionFromDeliveryStopsTheWorkersAndComesBack) {
  const DetectorOptions o = cpu_options("yolov8n.yaml", 64);
  Detector a(o), b(o);
  auto src = open_synthetic_source(1000, 64, 48, 30);
  std::atomic<bool> stop{false};
  int delivered = 0;
  EXPECT_THROW(run_detectors(
                   {&a, &b}, *src,
                   [&](DetectedBatch&) -> bool {
                     if (++delivered == 2) throw std::runtime_error("disk full");
                     return true;
                   },
                   stop),
               std::runtime_error);
  EXPECT_EQ(delivered, 2);
}

// `good` frames, then an I/O error from the source.
class FailingSource : public Source {
 public:
  explicit FailingSource(int good = 3) : good_(good) {}
  bool next(Frame& f) override {
    if (i_ == good_) fail(ErrorKind::kIo, "camera 0: the device went away");
    f.image = Tensor(DType::kUInt8, {48, 64, 3});
    f.index = i_++;
    return true;
  }
  std::string describe() const override { return "failing"; }

 private:
  int good_;
  int i_ = 0;
};

// The indices of the batches delivered before run_detectors rethrows the source's failure.
std::vector<int64_t> delivered_before_failure(const std::vector<Detector*>& detectors,
                                              Source& src) {
  std::atomic<bool> stop{false};
  std::vector<int64_t> seen;
  try {
    run_detectors(
        detectors, src,
        [&](DetectedBatch& batch) {
          seen.push_back(batch.frames[0].index);
          return true;
        },
        stop);
    ADD_FAILURE() << "the source's error was swallowed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("the device went away"), std::string::npos);
  }
  return seen;
}

TEST(DetectorPool, ASourceFailureComesAfterTheBatchesBeforeIt) {
  const DetectorOptions o = cpu_options("yolov8n.yaml", 64);
  Detector a(o), b(o);
  FailingSource src;
  EXPECT_EQ(delivered_before_failure({&a, &b}, src), (std::vector<int64_t>{0, 1, 2}));
  std::atomic<bool> stop{false};
  EXPECT_THROW(run_detectors(
                   {}, src, [](DetectedBatch&) { return true; }, stop),
               Error);
}

// One slow detector holds back delivery, so the fast ones fill the reorder window and one waits
// at its edge with a batch in hand when the other reads the failure. That batch was read before
// the failure and must still be delivered: CI once lost such a batch to the failure's stop.
TEST(DetectorPool, ABatchWaitingAtTheWindowIsDeliveredAfterASourceFailure) {
  Detector slow(cpu_options("yolov8n.yaml", 320)), fast1(cpu_options("yolov8n.yaml", 32)),
      fast2(cpu_options("yolov8n.yaml", 32));
  constexpr int kGood = 7;  // the window is 6 batches; the 7th waits at its edge
  std::vector<int64_t> all(kGood);
  for (int i = 0; i < kGood; ++i) all[static_cast<size_t>(i)] = i;
  for (int round = 0; round < 5; ++round) {
    FailingSource src(kGood);
    EXPECT_EQ(delivered_before_failure({&slow, &fast1, &fast2}, src), all) << "round " << round;
  }
}

}  // namespace
}  // namespace ys
