// The long-run recorder (profile_detail=long): hours of a stream in bounded memory. Every frame's
// stage times go into a ring of the last minutes at full resolution; the whole run is kept as
// one bucket per wall-time second (count, p50, p95, p99 and max per stage, computed exactly from
// that second's frames when it closes); frames far above the running baseline are spikes,
// grouped into occurrences; and a flight recorder keeps the detailed record (every op's host
// time) of the frames around an occurrence, a bounded number of them, the largest kept when it
// is full, so a spike hours in is still there. The hot path is a few stores and one uncontended
// lock per frame. A checkpoint thread takes snapshots in short slices, so it never holds the
// frame loop for long. Memory sizes are in docs/PROFILE_SCHEMA.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "pipeline/stages.h"
#include "profiler/gpu_record_ring.h"
#include "runtime/executor.h"

namespace ys {

// Stage columns of the recorder: the pipeline stages, then the frame's end-to-end latency.
constexpr size_t kLongColumns = kPipelineStageCount + 1;
constexpr size_t kLatencyColumn = kPipelineStageCount;
const char* long_column_name(size_t column);

struct LongRecorderOptions {
  double ring_seconds = 600;       // the ring holds the frames of the last 10 minutes ...
  size_t ring_capacity = 1 << 17;  // ... or this many, whichever is fewer (9 MiB)
  size_t flight_records = 64;
  size_t flight_before = 4, flight_after = 4;  // frames kept before and after an occurrence
  size_t flight_max_frames = 32;               // frames kept per record, at most
  size_t max_occurrences = 20000;              // beyond: counted only
  // A frame is a spike when its latency exceeds ratio x baseline, baseline + min_ms, and the
  // usual seconds' p90 x p90_ratio: on a busy machine a fast model's frames vary by more than
  // half their median every second, and that is the machine's noise, not a stall. (Not the p99:
  // at 30 fps a second's p99 is its slowest frame, the spike itself.)
  double spike_ratio = 1.5;
  double spike_min_ms = 1.0;
  double p90_ratio = 1.3;
  double baseline_seconds = 30;  // the baseline: median of the last seconds' p50 latency
  double warmup_seconds = 3;     // no spike before the baseline has this many seconds
  // Spike frames closer than max(gap_seconds, 3 baseline frames), with at most gap_frames
  // normal frames between them, are one occurrence: a burst of another process slows most of
  // its frames, while the noise of a busy machine is single slow frames among normal ones.
  double gap_seconds = 0.15;
  int gap_frames = 2;
  // Every n-th frame runs without op hooks: with its traced neighbour it measures the hooks'
  // cost over the whole run.
  int untraced_every = 8;
};

// One frame: its begin on the host clock, the milliseconds of each column (NaN: did not run)
// and each stage's start from the frame's begin.
struct LongFrame {
  int64_t frame = 0;
  int64_t begin_ns = 0;
  std::array<float, kLongColumns> ms{};
  std::array<float, kPipelineStageCount> start_ms{};
  bool traced = false;
  bool spike = false;
  bool gpu_traced = false;  // CUPTI traced it (a long run on a GPU)
};

// One second of the run; quantiles are NaN for a column with no frame in that second.
struct LongBucket {
  int32_t count = 0;
  int32_t spikes = 0;
  std::array<std::array<float, 4>, kLongColumns> q{};  // p50, p95, p99, max
};

struct SpikeOccurrence {
  int64_t frame = 0, last_frame = 0;
  int64_t begin_ns = 0, end_ns = 0;  // begin of its first frame, end of its last
  int frames = 0;
  double baseline_ms = 0;  // latency baseline when it began
  double excess_ms = 0;    // summed latency above the baseline: how long the stall was
  double peak_ms = 0;
  std::array<double, kLongColumns> excess_by_column{};
  int flight = -1;  // index into the flight records when one was kept (may be replaced later)
};

// A frame of a flight record, with its ops' host times (begin offset from the frame's begin and
// duration, microseconds); empty when the frame ran without op hooks.
struct FlightFrame {
  LongFrame times;
  std::vector<float> op_begin_us, op_us;
  std::optional<FlightGpu> gpu;  // its kernels, copies and waits, where CUPTI traced it
};

struct FlightRecord {
  size_t occurrence = 0;
  double excess_ms = 0;
  std::vector<FlightFrame> frames;
  std::vector<std::string> kernel_names;  // FlightKernel::name indexes this
  bool gpu_filled = false;                // the GPU records were pulled in (or there were none)
};

// A finished flight record waiting for its GPU records (LongRecorder::flights_to_fill).
struct FlightToFill {
  size_t occurrence = 0;
  std::vector<GpuPullFrame> frames;
};

struct LongSnapshot {
  int64_t start_ns = 0, now_ns = 0;
  int64_t frames = 0, traced = 0;
  std::vector<LongBucket> buckets;
  std::vector<LongFrame> recent;  // oldest first
  std::vector<SpikeOccurrence> occurrences;
  int64_t dropped_occurrences = 0;
  std::vector<FlightRecord> flight;
  std::vector<double> overhead_pairs_ms;  // traced minus untraced inference, per pair
  std::vector<double> untraced_inference_ms;
  double baseline_ms = 0;
  double hook_cost_ns = 0;
};

class LongRecorder final : public OpObserver, public StageObserver {
 public:
  // `ops_per_frame`: the executor's steps. `next`: a stage observer that sees every stage too.
  LongRecorder(size_t ops_per_frame, LongRecorderOptions options = {},
               StageObserver* next = nullptr);

  // Starts a frame; returns true when its ops should be traced (attach this as op observer).
  bool begin_frame(int64_t index);
  // The frame being recorded runs with CUPTI tracing its GPU work.
  void set_gpu_traced() { gpu_traced_ = true; }
  // Ends it. A frame whose inference never ran (the source had ended) is dropped.
  void end_frame() { end_frame_at(begin_, end_); }
  // Ends it with the given stage times (host clock; 0: the stage did not run), as end_frame does
  // with the ones it recorded: for tests and replays of recorded frames.
  void end_frame_at(const std::array<int64_t, kPipelineStageCount>& begin,
                    const std::array<int64_t, kPipelineStageCount>& end);
  // Closes the second in progress (the run is over), so the last bucket is in the snapshot.
  void finish();

  void stage_begin(PipelineStage s) override;
  void stage_end(PipelineStage s) override;
  void on_op_begin(size_t step) override { cursor_[2 * step] = now_ns(); }
  void on_op_end(size_t step) override { cursor_[2 * step + 1] = now_ns(); }

  int64_t start_ns() const { return start_ns_; }
  size_t ops_per_frame() const { return ops_; }
  const LongRecorderOptions& options() const { return opt_; }
  // A consistent copy, taken in slices so the frame loop waits at most a few microseconds.
  LongSnapshot snapshot() const;
  // The occurrences from index `from` on (cheap: no buckets, no ring).
  std::vector<SpikeOccurrence> occurrences(size_t from) const;
  // Approximate bytes held (preallocated rings and vectors), for the report.
  size_t memory_bytes() const;

  // The GPU side of flight records (a long run on a GPU), from the checkpoint thread: the
  // finished records not yet filled, with their frames' host windows; filling one (found by its
  // occurrence, ignored when it has given way since) attaches what the ring held for it.
  std::vector<FlightToFill> flights_to_fill() const;
  void fill_flight(size_t occurrence, GpuPull pull);
  // Host time before which no flight record, pending or future, can claim a GPU record: the
  // pending record's first frame, and the frames a spike starting now would take before it.
  int64_t claim_floor_ns() const;

 private:
  void close_second(int64_t second);
  void on_spike(const LongFrame& f, double latency_ms);
  void feed_flight(const LongFrame& f, const int64_t* ops, bool traced);
  void finish_pending();

  LongRecorderOptions opt_;
  size_t ops_;
  StageObserver* next_;
  int64_t start_ns_;

  // The frame being recorded (hot path; no lock needed, one thread).
  int64_t index_ = 0;
  bool traced_ = false;
  bool gpu_traced_ = false;
  std::array<int64_t, kPipelineStageCount> begin_{}, end_{};
  int64_t* cursor_ = nullptr;
  std::vector<int64_t> scratch_;  // op stores of untraced frames
  // The last flight_before + 1 frames' op times, for the frames before an occurrence.
  std::vector<std::vector<int64_t>> detail_;
  std::vector<LongFrame> detail_times_;
  size_t detail_next_ = 0;
  int64_t counter_ = 0;
  double last_traced_inference_ = -1;

  // This second's values per column, for its quantiles.
  int64_t second_ = 0;
  std::array<std::vector<float>, kLongColumns> this_second_;
  int32_t second_spikes_ = 0;
  std::vector<float> baseline_window_;  // the last seconds' p50 latency
  double baseline_ = 0;

  mutable std::mutex mu_;  // guards everything below
  std::vector<LongBucket> buckets_;
  std::vector<LongFrame> ring_;
  size_t ring_next_ = 0, ring_size_ = 0;
  std::vector<SpikeOccurrence> occ_;
  bool open_ = false;  // the last occurrence is still growing
  int normal_since_spike_ = 0;
  int64_t dropped_ = 0;
  std::vector<FlightRecord> flight_;
  FlightRecord pending_;
  bool pending_active_ = false;
  size_t pending_after_ = 0;
  int64_t frames_ = 0, traced_frames_ = 0;
  std::vector<double> pairs_, untraced_inf_;
  int64_t pair_stride_ = 1, pair_seen_ = 0;
  std::array<double, kLongColumns> column_baseline_{};
  std::array<std::vector<float>, kLongColumns> column_window_;
  std::vector<float> p90_window_;  // the last seconds' p90 latency
  double usual_p90_ = 0;
  double hook_cost_ns_ = 0;
};

}  // namespace ys
