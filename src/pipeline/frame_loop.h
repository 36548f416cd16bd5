// The frame loop: source -> detectors -> delivery, the one loop every front end runs (the yolo
// command, the profiled run, and whatever else reads frames through a Detector). It reads batches
// of up to a detector's batch() frames, detects them and hands each batch to `deliver` in source
// order, on the calling thread. With one detector everything runs on the calling thread; with
// several, each detector has its own thread (and, on a GPU, its own CUDA stream), so one batch's
// upload and letterbox overlap another's forward and NMS; a batch-1 forward leaves most of a
// large GPU idle between its small kernels. A worker reads only when it holds no batch, so work
// goes to the least-loaded detector; named `devices` (a DetectorPool, detector_pool.h) make the
// loop survive a device's failure and count each device's share.
//
// Watching a run: implement FrameObserver and list it in FrameLoop::observers. Every observer
// gets batch_end for each batch, after delivery, in source order, on the calling thread, with
// the batch's frames, detections and stage times; that is where per-frame counters, long-run
// recorders and benchmarks attach. batch_end runs inside the loop, so it must not block (publish
// to another thread through an atomic or a lock-free slot). The bracket hooks (batch_begin,
// stage_begin, stage_end) come only with one detector, where they can bracket the batch's read
// and output on the same thread as its detection: the profiler (session/profile_session.h) uses
// them to time each stage. pipeline/ knows nothing of the observers beyond this interface.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/detector.h"
#include "pipeline/source.h"

namespace ys {

struct DetectedBatch {
  int64_t first_frame = 0;  // frames delivered before this batch (its first frame's number)
  std::vector<Frame> frames;
  std::vector<std::vector<Detection>> detections;  // one list per frame
  // The detector's stages (Detector::last_stage_ms), with kRead, reading the batch from the
  // source, timed by the loop; kOutput, the delivery, once observers see the batch.
  std::array<double, kPipelineStageCount> stage_ms{};
  // When each of those stages began (now_ns(); 0: it did not run), so that a profile of
  // several devices can place each batch's stages, run on worker threads, on a timeline.
  std::array<int64_t, kPipelineStageCount> stage_begin_ns{};
  int64_t candidates = 0;  // boxes that entered NMS, all frames together
  size_t detector = 0;     // index in FrameLoop::detectors (and devices) of the one that ran it
};

class FrameObserver {
 public:
  virtual ~FrameObserver() = default;
  // One detector only. Before batch `first_frame` is read; every batch_begin is matched by one
  // batch_end, with an empty batch when the source had ended.
  virtual void batch_begin(int64_t /*first_frame*/) {}
  // One detector only: around the stages the loop runs itself, kRead and kOutput. A delivery that
  // fails has no stage_end: a failed output is no output stage.
  virtual void stage_begin(PipelineStage /*stage*/) {}
  virtual void stage_end(PipelineStage /*stage*/) {}
  // After each batch's delivery; `delivered` is false when deliver refused it (or the batch is
  // empty). Returns false to end the loop after this batch (a run whose time is up).
  virtual bool batch_end(const DetectedBatch& /*batch*/, bool /*delivered*/) { return true; }
};

// What each device of a pool did in a run (FrameLoop::devices): its frames and busy time, and
// the batches it held when it failed, which no other device detects again.
struct DeviceRun {
  std::string device;  // as FrameLoop::devices names it ("0", "1", ...)
  int64_t frames = 0;  // frames it detected and that were delivered or queued for delivery
  int64_t batches = 0;
  double busy_ms = 0;   // inside detect_batch
  double read_ms = 0;   // reading its batches from the source (one reader at a time: the feeder)
  bool failed = false;  // it stopped taking batches
  std::string error{};  // why, when failed
  std::vector<int64_t> lost_frames{};  // source positions (0-based, in read order) it held
};

struct FrameLoop {
  std::vector<Detector*> detectors{};  // at least one
  Source* source = nullptr;
  // Takes each batch in source order, before the observers see it; false stops the loop, as when
  // an output cannot be written.
  std::function<bool(const DetectedBatch&)> deliver{};
  std::vector<FrameObserver*> observers{};  // called in this order
  const std::atomic<bool>* stop = nullptr;  // optional: true ends the loop at the next batch
  // A device pool (detector_pool.h): one name per detector. Then a detector's exception costs
  // only the batch it held: that device takes no more, the others read on, and the run fails
  // only when every device has. Empty: any exception ends the run, as with streams=.
  std::vector<std::string> devices{};
  std::vector<DeviceRun>* device_runs = nullptr;  // optional: filled per device when devices set
};

// Runs until the source ends, deliver or an observer says stop, or *stop becomes true. Returns
// the number of frames delivered. A detector's, the source's or deliver's exception is rethrown
// here once any worker threads have stopped; every batch read before a failure is delivered.
int64_t run_frame_loop(const FrameLoop& loop);

// One batch of blank images through the detector before anything is timed, as Ultralytics'
// predictor warms its model up: the first inference pays for first-touch memory, oneDNN's kernel
// generation and CUDA Graph capture, which no timed figure should average in. Returns its ms.
double warm_up(Detector& detector);

}  // namespace ys
