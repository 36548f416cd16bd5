#include "profiler/gpu_record_ring.h"

#include <algorithm>

#include "profiler/cupti_tracer.h"

namespace ys {
namespace {

const std::string kOtherKernels = "(other kernels)";

template <typename T>
void reserve_fifo(GpuRecordRing::Fifo<T>& f, size_t n) {
  f.buf.resize(std::max<size_t>(n, 1));
}

// Keeps the `cap` longest of `v` (by `ms`), in start order; returns how many went.
template <typename T>
int64_t keep_longest(std::vector<T>& v, size_t cap) {
  if (v.size() <= cap) return 0;
  const auto dropped = static_cast<int64_t>(v.size() - cap);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(cap), v.end(),
                   [](const T& a, const T& b) { return a.ms > b.ms; });
  v.resize(cap);
  std::sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.start_ms < b.start_ms; });
  return dropped;
}

}  // namespace

const std::vector<std::string>& gpu_wait_names() {
  static const std::vector<std::string> names = {"unknown", "event", "stream_wait_event", "stream",
                                                 "context"};
  return names;
}

uint8_t gpu_wait_index(std::string_view what) {
  const std::vector<std::string>& n = gpu_wait_names();
  for (size_t i = 0; i < n.size(); ++i)
    if (n[i] == what) return static_cast<uint8_t>(i);
  return 0;
}

template <typename T>
void GpuRecordRing::Fifo<T>::push(const T& v) {
  if (size == buf.size()) {
    pop_front();
    ++overwritten;
  }
  buf[(head + size) % buf.size()] = v;
  ++size;
}

GpuRecordRing::GpuRecordRing(GpuRingOptions options) : opt_(options) {
  reserve_fifo(kernels_, opt_.kernels);
  reserve_fifo(copies_, opt_.copies);
  reserve_fifo(waits_, opt_.waits);
  reserve_fifo(correlations_, opt_.correlations);
  opt_.max_names = std::max<size_t>(opt_.max_names, 2);
  names_.reserve(opt_.max_names);
  names_.push_back(kOtherKernels);
  clocks_.reserve(std::max<size_t>(opt_.clock_pairs, 2));
}

uint32_t GpuRecordRing::intern(const char* name) {
  if (!name) return 0;
  if (auto it = by_address_.find(name); it != by_address_.end()) return it->second;
  uint32_t id = 0;
  if (auto it = by_name_.find(std::string_view(name)); it != by_name_.end()) {
    id = it->second;
  } else if (names_.size() < opt_.max_names) {
    id = static_cast<uint32_t>(names_.size());
    names_.push_back(demangle(name));
    by_name_.emplace(name, id);
  }
  // CUPTI shares one name string among a kernel's records, so addresses stay few; the bound
  // only guards against a library that does not.
  if (by_address_.size() < 4 * opt_.max_names) by_address_.emplace(name, id);
  return id;
}

void GpuRecordRing::add_kernel(const char* name, int64_t start, int64_t end, int step,
                               uint32_t correlation) {
  std::lock_guard<std::mutex> lock(mu_);
  kernels_.push({start, end, intern(name), correlation, step});
  newest_end_ = std::max(newest_end_, end);
}

void GpuRecordRing::add_copy(const GpuCopyRecord& c, uint32_t correlation) {
  std::lock_guard<std::mutex> lock(mu_);
  copies_.push({c.start_ns, c.end_ns, c.bytes, correlation, c.step, c.kind, c.src, c.dst});
  newest_end_ = std::max(newest_end_, c.end_ns);
}

void GpuRecordRing::add_wait(std::string_view what, int64_t start, int64_t end) {
  std::lock_guard<std::mutex> lock(mu_);
  waits_.push({start, end, gpu_wait_index(what)});
  newest_end_ = std::max(newest_end_, end);
}

void GpuRecordRing::add_correlation(uint32_t correlation, int step) {
  std::lock_guard<std::mutex> lock(mu_);
  correlations_.push({correlation, step});
}

void GpuRecordRing::add_dropped(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  cupti_dropped_ += n;
}

void GpuRecordRing::set_source(Source source) {
  std::lock_guard<std::mutex> lock(source_mu_);
  source_ = std::move(source);
}

bool GpuRecordRing::has_source() const {
  std::lock_guard<std::mutex> lock(source_mu_);
  return static_cast<bool>(source_);
}

void GpuRecordRing::flush(bool final) {
  std::lock_guard<std::mutex> lock(source_mu_);
  if (source_) source_(final);
}

void GpuRecordRing::calibrate(ClockPair pair, bool quiet) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!clocks_.empty() && pair.cupti_ns <= clocks_.back().cupti_ns) return;
  if (clocks_.size() >= std::max<size_t>(opt_.clock_pairs, 2)) clocks_.erase(clocks_.begin());
  clocks_.push_back(pair);
  const int64_t delivered = quiet ? pair.host_ns : to_host_locked(newest_end_);
  delivered_ns_ = std::max(delivered_ns_, delivered);
}

int64_t GpuRecordRing::to_host_locked(int64_t cupti_ns) const {
  if (clocks_.empty()) return cupti_ns;
  // The segment between the readings around the time, or the nearest one at either end.
  size_t i = 0;
  if (clocks_.size() >= 2) {
    auto it = std::upper_bound(
        clocks_.begin(), clocks_.end(), cupti_ns,
        [](int64_t t, const ClockPair& p) { return t < static_cast<int64_t>(p.cupti_ns); });
    const auto after = static_cast<size_t>(it - clocks_.begin());
    i = std::clamp<size_t>(after, 1, clocks_.size() - 1) - 1;
  }
  const ClockPair& a = clocks_[i];
  double scale = 1.0;
  if (i + 1 < clocks_.size()) {
    const ClockPair& b = clocks_[i + 1];
    scale = static_cast<double>(b.host_ns - a.host_ns) /
            static_cast<double>(static_cast<int64_t>(b.cupti_ns - a.cupti_ns));
  }
  // Relative to the reading: absolute CUPTI times near 2^60 would lose nanoseconds in a double.
  const double since = static_cast<double>(cupti_ns - static_cast<int64_t>(a.cupti_ns));
  return a.host_ns + static_cast<int64_t>(since * scale);
}

int64_t GpuRecordRing::to_host(int64_t cupti_ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  return to_host_locked(cupti_ns);
}

int64_t GpuRecordRing::delivered_until_ns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_ns_;
}

GpuPull GpuRecordRing::pull(const std::vector<GpuPullFrame>& frames) const {
  GpuPull out;
  out.frames.resize(frames.size());
  std::vector<size_t> order;  // traced frames by begin
  for (size_t i = 0; i < frames.size(); ++i) {
    if (!frames[i].traced) continue;
    out.frames[i].emplace();
    order.push_back(i);
  }
  if (order.empty()) return out;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return frames[a].begin_ns < frames[b].begin_ns; });
  // The traced frame whose window holds host time t (frames do not overlap), or -1.
  auto frame_at = [&](int64_t t) -> ptrdiff_t {
    auto it = std::upper_bound(order.begin(), order.end(), t,
                               [&](int64_t v, size_t i) { return v < frames[i].begin_ns; });
    if (it == order.begin()) return -1;
    const size_t i = *(it - 1);
    return t <= frames[i].end_ns ? static_cast<ptrdiff_t>(i) : -1;
  };
  auto ms_between = [](int64_t a, int64_t b) {
    return static_cast<float>(static_cast<double>(b - a) / 1e6);
  };

  std::lock_guard<std::mutex> lock(mu_);
  std::unordered_map<uint32_t, int32_t> steps;  // eager launches: correlation -> step
  for (size_t i = 0; i < correlations_.size; ++i)
    steps[correlations_.at(i).id] = correlations_.at(i).step;
  std::unordered_map<uint32_t, uint32_t> names;  // ring name id -> record name id
  for (size_t i = 0; i < kernels_.size; ++i) {
    const Kernel& k = kernels_.at(i);
    const int64_t start = to_host_locked(k.start), end = to_host_locked(k.end);
    const ptrdiff_t f = frame_at(start);
    if (f < 0) continue;
    int32_t step = k.step;
    if (step < 0) {
      auto s = steps.find(k.correlation);
      if (s != steps.end()) step = s->second;
    }
    auto [n, fresh] = names.emplace(k.name, static_cast<uint32_t>(out.names.size()));
    if (fresh) out.names.push_back(names_[k.name]);
    const int64_t base = frames[static_cast<size_t>(f)].begin_ns;
    out.frames[static_cast<size_t>(f)]->kernels.push_back(
        {n->second, step, ms_between(base, start), ms_between(start, end)});
  }
  for (size_t i = 0; i < copies_.size; ++i) {
    const Copy& c = copies_.at(i);
    const int64_t start = to_host_locked(c.start), end = to_host_locked(c.end);
    const ptrdiff_t f = frame_at(start);
    if (f < 0) continue;
    const int64_t base = frames[static_cast<size_t>(f)].begin_ns;
    out.frames[static_cast<size_t>(f)]->copies.push_back(
        {c.kind, c.src, c.dst, c.bytes, ms_between(base, start), ms_between(start, end)});
  }
  for (size_t i = 0; i < waits_.size; ++i) {
    const Wait& w = waits_.at(i);
    const int64_t start = to_host_locked(w.start), end = to_host_locked(w.end);
    const ptrdiff_t f = frame_at(start);
    if (f < 0) continue;
    const int64_t base = frames[static_cast<size_t>(f)].begin_ns;
    out.frames[static_cast<size_t>(f)]->waits.push_back(
        {w.what, ms_between(base, start), ms_between(start, end)});
  }
  for (size_t i : order) {
    FlightGpu& g = *out.frames[i];
    auto by_start = [](const auto& a, const auto& b) { return a.start_ms < b.start_ms; };
    std::stable_sort(g.kernels.begin(), g.kernels.end(), by_start);
    std::stable_sort(g.copies.begin(), g.copies.end(), by_start);
    std::stable_sort(g.waits.begin(), g.waits.end(), by_start);
    g.kernels_dropped = keep_longest(g.kernels, opt_.frame_kernels);
    g.copies_dropped = keep_longest(g.copies, opt_.frame_copies);
    g.waits_dropped = keep_longest(g.waits, opt_.frame_waits);
  }
  return out;
}

void GpuRecordRing::drop_before(int64_t host_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  // Records arrive nearly in time order (one buffer per stream): the front is the oldest.
  while (kernels_.size && to_host_locked(kernels_.at(0).end) < host_ns) kernels_.pop_front();
  while (copies_.size && to_host_locked(copies_.at(0).end) < host_ns) copies_.pop_front();
  while (waits_.size && to_host_locked(waits_.at(0).end) < host_ns) waits_.pop_front();
  // Correlation ids grow with each API call: those older than the oldest kept kernel's name none.
  if (kernels_.size) {
    const uint32_t oldest = kernels_.at(0).correlation;
    while (correlations_.size && correlations_.at(0).id < oldest) correlations_.pop_front();
  }
}

GpuRecordRing::Counts GpuRecordRing::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {kernels_.size, copies_.size,
          waits_.size,   correlations_.size,
          names_.size(), kernels_.overwritten + copies_.overwritten + waits_.overwritten,
          cupti_dropped_};
}

size_t GpuRecordRing::memory_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t b = kernels_.buf.size() * sizeof(Kernel) + copies_.buf.size() * sizeof(Copy) +
             waits_.buf.size() * sizeof(Wait) + correlations_.buf.size() * sizeof(Correlation) +
             clocks_.capacity() * sizeof(ClockPair);
  for (const std::string& n : names_) b += sizeof(std::string) + n.capacity();
  return b;
}

}  // namespace ys
