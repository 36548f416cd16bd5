// run_frame_loop: several detectors on one source give what one detector gives, in source order,
// and stop cleanly on a full output, an early stop, an observer's stop and a failing source; its
// observers see each batch in the order the header promises.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "pipeline/frame_loop.h"
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
  run_frame_loop(
      {.detectors = detectors, .source = &source, .deliver = [&](const DetectedBatch& b) {
         out.push_back(b);
         return true;
       }});
  return out;
}

TEST(FrameLoop, TwoDetectorsGiveOneDetectorsResultsInOrder) {
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

TEST(FrameLoop, BatchesAStridedSourceInOrder) {
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

TEST(FrameLoop, StopsWhenDeliveryFailsOrStopIsAsked) {
  const DetectorOptions o = cpu_options("yolov8n.yaml", 64);
  Detector a(o), b(o);
  auto src = open_synthetic_source(1000, 64, 48, 30);
  std::atomic<bool> stop{false};
  int delivered = 0;
  run_frame_loop({.detectors = {&a, &b}, .source = src.get(), .deliver = [&](const DetectedBatch&) {
                    return ++delivered < 3;
                  }});
  EXPECT_EQ(delivered, 3);
  delivered = 0;
  run_frame_loop({.detectors = {&a, &b},
                  .source = src.get(),
                  .deliver =
                      [&](const DetectedBatch&) {
                        stop = ++delivered == 2;
                        return true;
                      },
                  .stop = &stop});
  EXPECT_EQ(delivered, 2);
}

TEST(FrameLoop, AnExceptionFromDeliveryStopsTheWorkersAndComesBack) {
  const DetectorOptions o = cpu_options("yolov8n.yaml", 64);
  Detector a(o), b(o);
  auto src = open_synthetic_source(1000, 64, 48, 30);
  int delivered = 0;
  EXPECT_THROW(run_frame_loop({.detectors = {&a, &b},
                               .source = src.get(),
                               .deliver = [&](const DetectedBatch&) -> bool {
                                 if (++delivered == 2) throw std::runtime_error("disk full");
                                 return true;
                               }}),
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

// The indices of the batches delivered before run_frame_loop rethrows the source's failure.
std::vector<int64_t> delivered_before_failure(const std::vector<Detector*>& detectors,
                                              Source& src) {
  std::vector<int64_t> seen;
  try {
    run_frame_loop(
        {.detectors = detectors, .source = &src, .deliver = [&](const DetectedBatch& batch) {
           seen.push_back(batch.frames[0].index);
           return true;
         }});
    ADD_FAILURE() << "the source's error was swallowed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("the device went away"), std::string::npos);
  }
  return seen;
}

TEST(FrameLoop, ASourceFailureComesAfterTheBatchesBeforeIt) {
  const DetectorOptions o = cpu_options("yolov8n.yaml", 64);
  Detector a(o), b(o);
  FailingSource src;
  EXPECT_EQ(delivered_before_failure({&a, &b}, src), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_THROW(
      run_frame_loop({.source = &src, .deliver = [](const DetectedBatch&) { return true; }}),
      Error);
}

// One slow detector holds back delivery, so the fast ones fill the reorder window and one waits
// at its edge with a batch in hand when the other reads the failure. That batch was read before
// the failure and must still be delivered: CI once lost such a batch to the failure's stop.
TEST(FrameLoop, ABatchWaitingAtTheWindowIsDeliveredAfterASourceFailure) {
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

// Writes down every hook call as a line, in the order the loop makes them.
class RecordingObserver : public FrameObserver {
 public:
  void batch_begin(int64_t first_frame) override {
    calls.push_back("begin " + std::to_string(first_frame));
  }
  void stage_begin(PipelineStage s) override {
    calls.push_back(std::string("+") + pipeline_stage_name(s));
  }
  void stage_end(PipelineStage s) override {
    calls.push_back(std::string("-") + pipeline_stage_name(s));
  }
  bool batch_end(const DetectedBatch& b, bool delivered) override {
    calls.push_back("end " + std::to_string(b.first_frame) + " " + std::to_string(b.frames.size()) +
                    (delivered ? " delivered" : " not delivered"));
    ++batches;
    return stop_after == 0 || batches < stop_after;
  }
  std::vector<std::string> calls;
  int batches = 0;
  int stop_after = 0;  // 0: never ends the loop
};

DetectorOptions tiny_batch(int batch) {
  DetectorOptions o = cpu_options("yolov8n.yaml", 64);
  o.batch = batch;
  return o;
}

TEST(FrameLoop, OneDetectorBracketsEachBatchForItsObservers) {
  Detector det(tiny_batch(2));
  auto src = open_synthetic_source(4, 64, 48, 30);
  RecordingObserver obs;
  const int64_t n = run_frame_loop({.detectors = {&det},
                                    .source = src.get(),
                                    .deliver = [](const DetectedBatch&) { return true; },
                                    .observers = {&obs}});
  EXPECT_EQ(n, 4);
  const std::vector<std::string> want = {
      "begin 0", "+read", "-read", "+output", "-output", "end 0 2 delivered", "begin 2", "+read",
      "-read", "+output", "-output", "end 2 2 delivered",
      // The source's end shows only on the third read: an empty batch, still matched.
      "begin 4", "+read", "-read", "end 4 0 not delivered"};
  EXPECT_EQ(obs.calls, want);
}

TEST(FrameLoop, AFailedDeliveryHasNoOutputStageAndEndsTheLoop) {
  Detector det(tiny_batch(1));
  auto src = open_synthetic_source(5, 64, 48, 30);
  RecordingObserver obs;
  int calls = 0;
  const int64_t n = run_frame_loop({.detectors = {&det},
                                    .source = src.get(),
                                    .deliver = [&](const DetectedBatch&) { return ++calls < 2; },
                                    .observers = {&obs}});
  EXPECT_EQ(n, 2);
  const std::vector<std::string> want = {"begin 0",
                                         "+read",
                                         "-read",
                                         "+output",
                                         "-output",
                                         "end 0 1 delivered",
                                         "begin 1",
                                         "+read",
                                         "-read",
                                         "+output",
                                         "end 1 1 not delivered"};
  EXPECT_EQ(obs.calls, want);
}

TEST(FrameLoop, AnObserverEndsTheLoopWithOneDetectorOrSeveral) {
  for (int detectors : {1, 2}) {
    Detector a(tiny_batch(1)), b(tiny_batch(1));
    std::vector<Detector*> dets = {&a, &b};
    dets.resize(static_cast<size_t>(detectors));
    auto src = open_synthetic_source(100, 64, 48, 30);
    RecordingObserver obs;
    obs.stop_after = 3;
    int delivered = 0;
    run_frame_loop({.detectors = dets,
                    .source = src.get(),
                    .deliver =
                        [&](const DetectedBatch&) {
                          ++delivered;
                          return true;
                        },
                    .observers = {&obs}});
    EXPECT_EQ(delivered, 3) << detectors << " detector(s)";
    EXPECT_EQ(obs.batches, 3) << detectors << " detector(s)";
  }
}

TEST(FrameLoop, SeveralDetectorsGiveObserversEveryBatchInOrderWithoutBrackets) {
  Detector a(tiny_batch(2)), b(tiny_batch(2));
  auto src = open_synthetic_source(5, 64, 48, 30);
  RecordingObserver obs;
  const int64_t n = run_frame_loop({.detectors = {&a, &b},
                                    .source = src.get(),
                                    .deliver = [](const DetectedBatch&) { return true; },
                                    .observers = {&obs}});
  EXPECT_EQ(n, 5);
  const std::vector<std::string> want = {"end 0 2 delivered", "end 2 2 delivered",
                                         "end 4 1 delivered"};
  EXPECT_EQ(obs.calls, want);
}

// The loop times the stages it runs itself: the read, and the delivery as the output stage.
TEST(FrameLoop, ObserversSeeTheDeliveryTimedAsTheOutputStage) {
  Detector det(tiny_batch(1));
  auto src = open_synthetic_source(1, 64, 48, 30);
  class OutputTime : public FrameObserver {
   public:
    bool batch_end(const DetectedBatch& b, bool delivered) override {
      if (!delivered) return true;  // the empty batch at the source's end
      output_ms = b.stage_ms[static_cast<size_t>(PipelineStage::kOutput)];
      inference_ms = b.stage_ms[static_cast<size_t>(PipelineStage::kInference)];
      return true;
    }
    double output_ms = 0, inference_ms = 0;
  } obs;
  run_frame_loop({.detectors = {&det},
                  .source = src.get(),
                  .deliver =
                      [](const DetectedBatch&) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(5));
                        return true;
                      },
                  .observers = {&obs}});
  EXPECT_GE(obs.output_ms, 5.0);
  EXPECT_GT(obs.inference_ms, 0.0);
}

}  // namespace
}  // namespace ys
