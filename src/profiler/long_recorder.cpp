#include "profiler/long_recorder.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ys {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr size_t kMaxPairs = size_t{1} << 16;
constexpr size_t kSnapshotSlice = 4096;

// Exact quantile of a small unsorted sample (nearest rank; a second holds tens to a few
// thousand frames, so the sort is cheap and no sketch's error is needed).
float quantile(std::vector<float>& v, double p) {
  const double rank = std::ceil(p * static_cast<double>(v.size()));
  const size_t k = std::min(v.size(), std::max<size_t>(1, static_cast<size_t>(rank))) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

float median_of(std::vector<float> v) {
  if (v.empty()) return 0;
  return quantile(v, 0.5);
}

}  // namespace

const char* long_column_name(size_t column) {
  return column == kLatencyColumn ? "latency"
                                  : pipeline_stage_name(static_cast<PipelineStage>(column));
}

LongRecorder::LongRecorder(size_t ops_per_frame, LongRecorderOptions options, StageObserver* next)
    : opt_(options), ops_(ops_per_frame), next_(next), start_ns_(ys::now_ns()) {
  scratch_.resize(std::max<size_t>(ops_, 1) * 2);
  detail_.assign(opt_.flight_before + 1, std::vector<int64_t>(std::max<size_t>(ops_, 1) * 2));
  detail_times_.resize(detail_.size());
  cursor_ = scratch_.data();
  ring_.resize(std::max<size_t>(opt_.ring_capacity, 1));
  // Two days of seconds reserved: address space only until written, and no reallocation (a
  // copy of megabytes inside a frame) in the first 48 hours.
  buckets_.reserve(2 * 86400);
  occ_.reserve(opt_.max_occurrences);
  flight_.reserve(opt_.flight_records);
  // The hook pair's cost through the base class, the fastest of several rounds (as Profiler).
  OpObserver* self = this;
  constexpr int kCalls = 4000;
  for (int round = 0; round < 5; ++round) {
    const int64_t t0 = ys::now_ns();
    for (int i = 0; i < kCalls; ++i) {
      const size_t step = static_cast<size_t>(i) % std::max<size_t>(ops_, 1);
      self->on_op_begin(step);
      self->on_op_end(step);
    }
    const double ns = static_cast<double>(ys::now_ns() - t0) / kCalls;
    hook_cost_ns_ = round == 0 ? ns : std::min(hook_cost_ns_, ns);
  }
}

bool LongRecorder::begin_frame(int64_t index) {
  index_ = index;
  gpu_traced_ = false;
  begin_.fill(0);
  end_.fill(0);
  traced_ = opt_.untraced_every <= 1 || counter_ % opt_.untraced_every != opt_.untraced_every - 1;
  ++counter_;
  cursor_ = traced_ ? detail_[detail_next_].data() : scratch_.data();
  // Cleared so end_frame sees whether the hooks ran: on a GPU replaying a CUDA Graph the session
  // attaches none, and the slot would hold another frame's times, or none.
  cursor_[0] = 0;
  return traced_;
}

void LongRecorder::stage_begin(PipelineStage s) {
  begin_[static_cast<size_t>(s)] = ys::now_ns();
  if (next_) next_->stage_begin(s);
}

void LongRecorder::stage_end(PipelineStage s) {
  end_[static_cast<size_t>(s)] = ys::now_ns();
  if (next_) next_->stage_end(s);
}

void LongRecorder::close_second(int64_t second) {
  // Quantiles are taken here, outside the lock: only this thread touches this_second_.
  std::vector<LongBucket> closed;
  for (int64_t s = second_; s < second; ++s) {
    LongBucket b;
    for (auto& q : b.q) q.fill(kNan);
    if (s == second_) {
      b.count = static_cast<int32_t>(this_second_[kLatencyColumn].size());
      b.spikes = second_spikes_;
      for (size_t c = 0; c < kLongColumns; ++c) {
        std::vector<float>& v = this_second_[c];
        if (v.empty()) continue;
        b.q[c] = {quantile(v, 0.5), quantile(v, 0.95), quantile(v, 0.99),
                  *std::max_element(v.begin(), v.end())};
        // The baseline follows the last seconds' medians: a spike moves a median little.
        std::vector<float>& w = column_window_[c];
        w.push_back(b.q[c][0]);
        if (w.size() > static_cast<size_t>(opt_.baseline_seconds)) w.erase(w.begin());
        column_baseline_[c] = median_of(w);
        if (c == kLatencyColumn) {
          p90_window_.push_back(quantile(v, 0.9));
          if (p90_window_.size() > w.size()) p90_window_.erase(p90_window_.begin());
          usual_p90_ = median_of(p90_window_);
        }
        v.clear();
      }
    }
    closed.push_back(b);
  }
  second_spikes_ = 0;
  second_ = second;
  std::lock_guard<std::mutex> lock(mu_);
  buckets_.insert(buckets_.end(), closed.begin(), closed.end());
  baseline_ = column_baseline_[kLatencyColumn];
}

void LongRecorder::finish() {
  if (!this_second_[kLatencyColumn].empty()) close_second(second_ + 1);
  std::lock_guard<std::mutex> lock(mu_);
  open_ = false;
  if (pending_active_) finish_pending();
}

void LongRecorder::end_frame_at(const std::array<int64_t, kPipelineStageCount>& b,
                                const std::array<int64_t, kPipelineStageCount>& e) {
  const auto inf = static_cast<size_t>(PipelineStage::kInference);
  if (e[inf] == 0) return;  // the source had ended: nothing ran
  LongFrame f;
  f.frame = index_;
  f.traced = traced_;
  f.gpu_traced = gpu_traced_;
  int64_t first = 0, last = 0;
  for (size_t s = 0; s < kPipelineStageCount; ++s) {
    if (b[s] == 0 || e[s] == 0) {
      f.ms[s] = kNan;
      continue;
    }
    f.ms[s] = static_cast<float>(static_cast<double>(e[s] - b[s]) / 1e6);
    first = first == 0 ? b[s] : std::min(first, b[s]);
    last = std::max(last, e[s]);
  }
  f.begin_ns = first;
  for (size_t s = 0; s < kPipelineStageCount; ++s)
    f.start_ms[s] = b[s] == 0 ? 0.f : static_cast<float>(static_cast<double>(b[s] - first) / 1e6);
  const double latency = static_cast<double>(last - first) / 1e6;
  f.ms[kLatencyColumn] = static_cast<float>(latency);
  const int64_t second = (first - start_ns_) / 1000000000;
  if (second > second_) close_second(second);

  const double base = column_baseline_[kLatencyColumn];
  f.spike = column_window_[kLatencyColumn].size() >= static_cast<size_t>(opt_.warmup_seconds) &&
            base > 0 && latency > opt_.spike_ratio * base && latency > base + opt_.spike_min_ms &&
            latency > opt_.p90_ratio * usual_p90_;
  if (f.spike) ++second_spikes_;
  for (size_t c = 0; c < kLongColumns; ++c) {
    if (!std::isnan(f.ms[c])) this_second_[c].push_back(f.ms[c]);
  }
  const int64_t* ops =
      traced_ && detail_[detail_next_][0] != 0 ? detail_[detail_next_].data() : nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ring_[ring_next_] = f;
    ring_next_ = (ring_next_ + 1) % ring_.size();
    ring_size_ = std::min(ring_size_ + 1, ring_.size());
    ++frames_;
    traced_frames_ += traced_;
    const double inference = f.ms[inf];
    if (traced_) {
      last_traced_inference_ = inference;
    } else if (last_traced_inference_ >= 0) {
      if (pair_seen_++ % pair_stride_ == 0) {
        pairs_.push_back(last_traced_inference_ - inference);
        untraced_inf_.push_back(inference);
        if (pairs_.size() >= kMaxPairs) {  // keep every other pair: bounded, still run-wide
          for (size_t i = 0; 2 * i < pairs_.size(); ++i) {
            pairs_[i] = pairs_[2 * i];
            untraced_inf_[i] = untraced_inf_[2 * i];
          }
          pairs_.resize((pairs_.size() + 1) / 2);
          untraced_inf_.resize(pairs_.size());
          pair_stride_ *= 2;
        }
      }
      last_traced_inference_ = -1;
    }
    if (f.spike) {
      on_spike(f, latency);
      normal_since_spike_ = 0;
    } else if (open_) {
      const double gap_s = std::max(opt_.gap_seconds, 3 * base / 1e3);
      if (++normal_since_spike_ > opt_.gap_frames ||
          static_cast<double>(f.begin_ns - occ_.back().end_ns) / 1e9 > gap_s)
        open_ = false;
    }
    feed_flight(f, ops, traced_);
  }
  detail_times_[detail_next_] = f;
  detail_next_ = (detail_next_ + 1) % detail_.size();
  cursor_ = scratch_.data();
}

void LongRecorder::on_spike(const LongFrame& f, double latency_ms) {
  const double base = column_baseline_[kLatencyColumn];
  const double gap_s = std::max(opt_.gap_seconds, 3 * base / 1e3);
  const int64_t end = f.begin_ns + static_cast<int64_t>(latency_ms * 1e6);
  const bool extends = open_ && static_cast<double>(f.begin_ns - occ_.back().end_ns) / 1e9 <= gap_s;
  if (!extends) {
    open_ = false;
    if (pending_active_) finish_pending();
    if (occ_.size() >= opt_.max_occurrences) {
      ++dropped_;
      return;
    }
    SpikeOccurrence o;
    o.frame = f.frame;
    o.begin_ns = f.begin_ns;
    o.baseline_ms = base;
    occ_.push_back(o);
    open_ = true;
    // The flight record starts with the frames before this one, still in the detail ring.
    pending_ = FlightRecord{};
    pending_.occurrence = occ_.size() - 1;
    pending_active_ = true;
    pending_after_ = 0;
    const size_t slots = detail_.size();
    for (size_t k = slots - 1; k >= 1; --k) {
      const size_t at = (detail_next_ + slots - k) % slots;
      const LongFrame& t = detail_times_[at];
      if (t.begin_ns == 0) continue;
      FlightFrame ff;
      ff.times = t;
      if (t.traced && detail_[at][0] != 0) {
        const std::vector<int64_t>& d = detail_[at];
        ff.op_begin_us.resize(ops_);
        ff.op_us.resize(ops_);
        for (size_t i = 0; i < ops_; ++i) {
          ff.op_begin_us[i] = static_cast<float>(static_cast<double>(d[2 * i] - t.begin_ns) / 1e3);
          ff.op_us[i] = static_cast<float>(static_cast<double>(d[2 * i + 1] - d[2 * i]) / 1e3);
        }
      }
      pending_.frames.push_back(std::move(ff));
    }
  }
  if (!open_) return;
  SpikeOccurrence& o = occ_.back();
  o.last_frame = f.frame;
  o.end_ns = std::max(o.end_ns, end);
  ++o.frames;
  o.excess_ms += latency_ms - o.baseline_ms;
  o.peak_ms = std::max(o.peak_ms, latency_ms);
  for (size_t c = 0; c < kLongColumns; ++c) {
    if (!std::isnan(f.ms[c])) o.excess_by_column[c] += std::max(0.0, f.ms[c] - column_baseline_[c]);
  }
}

void LongRecorder::feed_flight(const LongFrame& f, const int64_t* ops, bool traced) {
  if (!pending_active_) return;
  // A spike frame of the record's occurrence grows it; other frames count as the ones after
  // (a later spike frame of the same occurrence turns them into frames between).
  const bool growing = f.spike && open_ && pending_.occurrence + 1 == occ_.size();
  if (growing) {
    pending_after_ = 0;
    // A long occurrence: its first frames are kept, room is left for the ones after.
    if (pending_.frames.size() + opt_.flight_after >= opt_.flight_max_frames) return;
  } else {
    ++pending_after_;
  }
  FlightFrame ff;
  ff.times = f;
  if (traced && ops) {
    ff.op_begin_us.resize(ops_);
    ff.op_us.resize(ops_);
    for (size_t i = 0; i < ops_; ++i) {
      ff.op_begin_us[i] = static_cast<float>(static_cast<double>(ops[2 * i] - f.begin_ns) / 1e3);
      ff.op_us[i] = static_cast<float>(static_cast<double>(ops[2 * i + 1] - ops[2 * i]) / 1e3);
    }
  }
  if (pending_.frames.size() < opt_.flight_max_frames) pending_.frames.push_back(std::move(ff));
  if (!growing && pending_after_ >= opt_.flight_after) finish_pending();
}

void LongRecorder::finish_pending() {
  pending_active_ = false;
  if (opt_.flight_records == 0 || pending_.occurrence >= occ_.size()) return;
  SpikeOccurrence& o = occ_[pending_.occurrence];
  pending_.excess_ms = o.excess_ms;
  if (flight_.size() < opt_.flight_records) {
    o.flight = static_cast<int>(flight_.size());
    flight_.push_back(std::move(pending_));
    return;
  }
  // Full: the record of the smallest stall gives way to a larger one.
  auto smallest = std::min_element(
      flight_.begin(), flight_.end(),
      [](const FlightRecord& a, const FlightRecord& b) { return a.excess_ms < b.excess_ms; });
  if (smallest->excess_ms >= pending_.excess_ms) return;
  occ_[smallest->occurrence].flight = -1;
  o.flight = static_cast<int>(smallest - flight_.begin());
  *smallest = std::move(pending_);
}

LongSnapshot LongRecorder::snapshot() const {
  LongSnapshot s;
  s.start_ns = start_ns_;
  s.hook_cost_ns = hook_cost_ns_;
  size_t nb = 0, no = 0, ring_at = 0, ring_n = 0;
  int64_t newest = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.now_ns = ys::now_ns();
    s.frames = frames_;
    s.traced = traced_frames_;
    s.baseline_ms = baseline_;
    s.dropped_occurrences = dropped_;
    s.overhead_pairs_ms = pairs_;
    s.untraced_inference_ms = untraced_inf_;
    nb = buckets_.size();
    no = occ_.size();
    ring_n = ring_size_;
    ring_at = (ring_next_ + ring_.size() - ring_size_) % ring_.size();
    newest = ring_size_ ? ring_[(ring_next_ + ring_.size() - 1) % ring_.size()].frame : 0;
    s.flight.reserve(flight_.size());
  }
  s.buckets.reserve(nb);
  for (size_t i = 0; i < nb; i += kSnapshotSlice) {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t e = std::min(nb, i + kSnapshotSlice);
    s.buckets.insert(s.buckets.end(), buckets_.begin() + static_cast<std::ptrdiff_t>(i),
                     buckets_.begin() + static_cast<std::ptrdiff_t>(e));
  }
  for (size_t i = 0; i < no; i += kSnapshotSlice) {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t e = std::min(no, i + kSnapshotSlice);
    s.occurrences.insert(s.occurrences.end(), occ_.begin() + static_cast<std::ptrdiff_t>(i),
                         occ_.begin() + static_cast<std::ptrdiff_t>(e));
  }
  s.recent.reserve(ring_n);
  for (size_t i = 0; i < ring_n; i += kSnapshotSlice) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t k = i; k < std::min(ring_n, i + kSnapshotSlice); ++k)
      s.recent.push_back(ring_[(ring_at + k) % ring_.size()]);
  }
  // Frames that overwrote the ring while it was copied are newer than the snapshot: left out.
  const auto cutoff = s.now_ns - static_cast<int64_t>(opt_.ring_seconds * 1e9);
  std::erase_if(s.recent,
                [&](const LongFrame& f) { return f.frame > newest || f.begin_ns < cutoff; });
  for (size_t i = 0;; ++i) {
    std::lock_guard<std::mutex> lock(mu_);
    if (i >= flight_.size()) break;
    s.flight.push_back(flight_[i]);
  }
  // Occurrences copied after their record was replaced may point at the wrong record.
  for (size_t i = 0; i < s.flight.size(); ++i) {
    if (s.flight[i].occurrence < s.occurrences.size())
      s.occurrences[s.flight[i].occurrence].flight = static_cast<int>(i);
  }
  for (SpikeOccurrence& o : s.occurrences) {
    if (o.flight >= 0 && (static_cast<size_t>(o.flight) >= s.flight.size() ||
                          s.flight[static_cast<size_t>(o.flight)].occurrence !=
                              static_cast<size_t>(&o - s.occurrences.data())))
      o.flight = -1;
  }
  return s;
}

std::vector<SpikeOccurrence> LongRecorder::occurrences(size_t from) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (from >= occ_.size()) return {};
  return {occ_.begin() + static_cast<std::ptrdiff_t>(from), occ_.end()};
}

size_t LongRecorder::memory_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t b = ring_.capacity() * sizeof(LongFrame) + buckets_.size() * sizeof(LongBucket) +
             occ_.capacity() * sizeof(SpikeOccurrence) + pairs_.capacity() * 2 * sizeof(double);
  for (const FlightRecord& r : flight_) {
    for (const FlightFrame& f : r.frames) {
      b += sizeof(FlightFrame) + (f.op_us.capacity() + f.op_begin_us.capacity()) * sizeof(float);
      if (f.gpu)
        b += f.gpu->kernels.capacity() * sizeof(FlightKernel) +
             f.gpu->copies.capacity() * sizeof(FlightCopy) +
             f.gpu->waits.capacity() * sizeof(FlightWait);
    }
    for (const std::string& n : r.kernel_names) b += sizeof(std::string) + n.capacity();
  }
  return b;
}

std::vector<FlightToFill> LongRecorder::flights_to_fill() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FlightToFill> out;
  for (const FlightRecord& r : flight_) {
    if (r.gpu_filled) continue;
    FlightToFill& t = out.emplace_back();
    t.occurrence = r.occurrence;
    for (const FlightFrame& f : r.frames) {
      const auto end = f.times.begin_ns +
                       static_cast<int64_t>(static_cast<double>(f.times.ms[kLatencyColumn]) * 1e6);
      t.frames.push_back({f.times.frame, f.times.begin_ns, end, f.times.gpu_traced});
    }
  }
  return out;
}

void LongRecorder::fill_flight(size_t occurrence, GpuPull pull) {
  std::lock_guard<std::mutex> lock(mu_);
  for (FlightRecord& r : flight_) {
    if (r.occurrence != occurrence || r.gpu_filled) continue;
    for (size_t i = 0; i < r.frames.size() && i < pull.frames.size(); ++i)
      r.frames[i].gpu = std::move(pull.frames[i]);
    r.kernel_names = std::move(pull.names);
    r.gpu_filled = true;
    return;
  }
}

int64_t LongRecorder::claim_floor_ns() const {
  std::lock_guard<std::mutex> lock(mu_);
  const bool pending = pending_active_ && !pending_.frames.empty();
  if (ring_size_ == 0 && !pending) return ys::now_ns();  // no frame yet: nothing to claim
  int64_t floor = std::numeric_limits<int64_t>::max();
  if (ring_size_ > 0) {
    // The newest flight_before frames, and one more for the frame in progress.
    const size_t k = std::min(ring_size_, opt_.flight_before + 1);
    floor = ring_[(ring_next_ + ring_.size() - k) % ring_.size()].begin_ns;
  }
  if (pending) floor = std::min(floor, pending_.frames.front().times.begin_ns);
  return floor;
}

}  // namespace ys
