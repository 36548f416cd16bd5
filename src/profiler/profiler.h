// The profiler's recorder. Its hot path is a store of a timestamp into a buffer preallocated for
// the whole measured window; nothing is aggregated, formatted or written until the run is over.
// Op spans come from the executor's observer hook; stage spans from the pipeline. Within the
// active window, frames alternate between op tracing on and off so the report can state the
// profiler's own overhead as a measurement rather than a claim.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "pipeline/stages.h"
#include "profiler/schedule.h"
#include "runtime/executor.h"

namespace ys {

struct FrameRecord {
  int64_t index = 0;        // frame number in the run (first frame of the batch)
  bool ops_traced = false;  // op spans were recorded for this frame
  std::array<int64_t, kPipelineStageCount> begin_ns{};  // 0: the stage did not run
  std::array<int64_t, kPipelineStageCount> end_ns{};
  size_t op_offset = 0;  // into op_times(): begin, end per step
};

class Profiler final : public OpObserver, public StageObserver {
 public:
  // Frames beyond `max_frames` in an unbounded schedule are not recorded (bounded memory).
  Profiler(ProfileSchedule schedule, size_t ops_per_frame, int64_t max_frames = 20000);

  // Starts frame `index`; returns true when this frame's ops should be traced, i.e. when the
  // caller should attach this profiler as the executor's observer.
  bool begin_frame(int64_t index);
  void end_frame() { current_ = nullptr; }
  // A whole frame timed elsewhere (a device pool's batch, its stages run on a worker thread):
  // counted against the schedule as begin_frame counts, recorded with these stage spans and no
  // op trace. Returns true when it was in the measured window.
  bool record_frame(int64_t index, const std::array<int64_t, kPipelineStageCount>& begin_ns,
                    const std::array<int64_t, kPipelineStageCount>& end_ns);
  // Forgets the frame begun last, which never ran (begun before the source turned out to have
  // ended): it must not count as a measured frame. Call before end_frame.
  void discard_frame();
  // Whether stage `s` began in the frame being recorded.
  bool stage_ran(PipelineStage s) const {
    return current_ && current_->begin_ns[static_cast<size_t>(s)] != 0;
  }
  bool measuring() const { return current_ != nullptr; }
  // True once the schedule has no active frames left.
  bool finished() const { return finished_; }

  void stage_begin(PipelineStage s) override {
    if (current_) current_->begin_ns[static_cast<size_t>(s)] = now_ns();
  }
  void stage_end(PipelineStage s) override {
    if (current_) current_->end_ns[static_cast<size_t>(s)] = now_ns();
  }
  void on_op_begin(size_t step) override { op_cursor_[2 * step] = now_ns(); }
  void on_op_end(size_t step) override { op_cursor_[2 * step + 1] = now_ns(); }

  const ProfileSchedule& schedule() const { return schedule_; }
  const std::vector<FrameRecord>& frames() const { return frames_; }
  const std::vector<int64_t>& op_times() const { return op_times_; }
  size_t ops_per_frame() const { return ops_per_frame_; }
  int64_t start_ns() const { return start_ns_; }
  int64_t frames_seen() const { return frames_seen_; }
  // Measured cost of one op's pair of hook calls (begin + end) through the observer interface,
  // in nanoseconds: the floor of what tracing adds per op, free of frame-to-frame noise.
  double hook_cost_ns() const { return hook_cost_ns_; }

 private:
  ProfileSchedule schedule_;
  size_t ops_per_frame_;
  int64_t max_frames_;
  int64_t start_ns_;
  int64_t frames_seen_ = 0;
  int64_t active_seen_ = 0;
  size_t traced_frames_ = 0;
  bool finished_ = false;
  std::vector<FrameRecord> frames_;
  std::vector<int64_t> op_times_;
  FrameRecord* current_ = nullptr;
  int64_t* op_cursor_ = nullptr;
  std::vector<int64_t>
      scratch_;  // where untraced frames' op stores go if an observer is left attached
  double hook_cost_ns_ = 0;
};

}  // namespace ys
