#include "profiler/profiler.h"

#include <algorithm>

namespace ys {

Profiler::Profiler(ProfileSchedule schedule, size_t ops_per_frame, int64_t max_frames)
    : schedule_(schedule), ops_per_frame_(ops_per_frame), start_ns_(now_ns()) {
  const int64_t bounded = schedule_.active_frames();
  max_frames_ = bounded >= 0 ? std::min(bounded, max_frames) : max_frames;
  frames_.reserve(static_cast<size_t>(max_frames_));
  // Half the active frames trace ops (see the class comment); round up for odd counts.
  op_times_.resize(static_cast<size_t>((max_frames_ + 1) / 2) * ops_per_frame_ * 2);
  scratch_.resize(std::max<size_t>(ops_per_frame_, 1) * 2);
  op_cursor_ = scratch_.data();
  // Calls through the base class, as the executor makes them, so the virtual dispatch counts.
  // The fastest of several rounds: a round the scheduler interrupted measures the machine.
  OpObserver* self = this;
  constexpr int kCalls = 4000;
  for (int round = 0; round < 5; ++round) {
    const int64_t t0 = now_ns();
    for (int i = 0; i < kCalls; ++i) {
      const size_t step = static_cast<size_t>(i) % std::max<size_t>(ops_per_frame_, 1);
      self->on_op_begin(step);
      self->on_op_end(step);
    }
    const double ns = static_cast<double>(now_ns() - t0) / kCalls;
    hook_cost_ns_ = round == 0 ? ns : std::min(hook_cost_ns_, ns);
  }
}

bool Profiler::begin_frame(int64_t index) {
  const int64_t n = frames_seen_++;
  current_ = nullptr;
  op_cursor_ = scratch_.data();
  if (finished_) return false;
  const ProfileSchedule::Phase phase = schedule_.phase(n);
  if (phase == ProfileSchedule::Phase::kDone ||
      static_cast<int64_t>(frames_.size()) >= max_frames_) {
    finished_ = true;
    return false;
  }
  if (phase != ProfileSchedule::Phase::kActive) return false;
  FrameRecord rec;
  rec.index = index;
  // With a single active frame there is nothing to compare against: trace it.
  rec.ops_traced = active_seen_ % 2 == 0;
  ++active_seen_;
  rec.op_offset = traced_frames_ * ops_per_frame_ * 2;
  if (rec.ops_traced) ++traced_frames_;
  frames_.push_back(rec);
  current_ = &frames_.back();
  if (rec.ops_traced) op_cursor_ = op_times_.data() + rec.op_offset;
  return rec.ops_traced;
}

bool Profiler::record_frame(int64_t index, const std::array<int64_t, kPipelineStageCount>& begin_ns,
                            const std::array<int64_t, kPipelineStageCount>& end_ns) {
  const bool traced = begin_frame(index);
  FrameRecord* rec = current_;
  end_frame();
  op_cursor_ = scratch_.data();
  if (!rec) return false;
  // No op hook ran: an op-traced frame here would count empty op times as measured.
  if (traced) {
    rec->ops_traced = false;
    --traced_frames_;
  }
  rec->begin_ns = begin_ns;
  rec->end_ns = end_ns;
  return true;
}

void Profiler::discard_frame() {
  if (!current_ || frames_.empty() || current_ != &frames_.back()) return;
  if (current_->ops_traced) --traced_frames_;
  --active_seen_;
  --frames_seen_;
  frames_.pop_back();
  current_ = nullptr;
  op_cursor_ = scratch_.data();
}

}  // namespace ys
