// Several Detectors at work on one source at once: each on its own thread and, on a GPU, its own
// CUDA stream, so that one batch's upload and letterbox overlap another's forward and NMS. A
// batch-1 forward leaves most of an H100 idle between its small kernels, so two streams fill
// those gaps. Results come back in source order, on the calling thread.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <vector>

#include "pipeline/detector.h"
#include "pipeline/source.h"

namespace ys {

struct DetectedBatch {
  std::vector<Frame> frames;
  std::vector<std::vector<Detection>> detections;      // one list per frame
  std::array<double, kPipelineStageCount> stage_ms{};  // the batch's Detector::last_stage_ms()
};

// Reads batches of up to detectors[i]->batch() frames from `source`, runs them through the
// detectors concurrently, and calls `deliver` for each batch in source order. Stops at the end of
// the source, when `deliver` returns false, or when `stop` becomes true; a detector's or the
// source's exception, or one from `deliver`, is rethrown here once the threads have stopped.
void run_detectors(const std::vector<Detector*>& detectors, Source& source,
                   const std::function<bool(DetectedBatch&)>& deliver,
                   const std::atomic<bool>& stop);

}  // namespace ys
