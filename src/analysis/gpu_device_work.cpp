// The detailed-mode steps of analyze_gpu (analysis/gpu_analysis_steps.h): what CUPTI's kernel,
// copy, API and wait records say beyond the layers' device times.
#include <algorithm>
#include <iterator>
#include <map>
#include <string>

#include "analysis/gpu_analysis_steps.h"

namespace ys::gpu_steps {
namespace {

constexpr size_t kTopKernels = 20;

// Union of [start, end) intervals sorted by start: busy time and the gaps between busy runs.
struct Coverage {
  int64_t busy_ns = 0, span_ns = 0;
  int64_t first_ns = 0, last_ns = 0;  // the first kernel's start, the last one's end
  std::vector<int64_t> gaps_ns;
};

Coverage coverage(const std::vector<std::pair<int64_t, int64_t>>& sorted) {
  Coverage c;
  if (sorted.empty()) return c;
  int64_t run_begin = sorted[0].first, run_end = sorted[0].second;
  for (size_t i = 1; i < sorted.size(); ++i) {
    const auto [b, e] = sorted[i];
    if (b > run_end) {
      c.busy_ns += run_end - run_begin;
      c.gaps_ns.push_back(b - run_end);
      run_begin = b;
    }
    run_end = std::max(run_end, e);
  }
  c.busy_ns += run_end - run_begin;
  c.span_ns = run_end - sorted[0].first;
  c.first_ns = sorted[0].first;
  c.last_ns = run_end;
  return c;
}

const char* kBucketNames[] = {"<5 us", "5-20 us", "20-100 us", "100 us-1 ms", ">1 ms"};

size_t size_bucket(double us) {
  if (us < 5) return 0;
  if (us < 20) return 1;
  if (us < 100) return 2;
  if (us <= 1000) return 3;
  return 4;
}

}  // namespace

// Kernels by name and layer (or pipeline stage), their sizes, and the top ones by total time.
void add_kernel_stats(const GpuTraceContext& c, GpuAnalysis& a) {
  a.kernels = static_cast<int64_t>(c.trace.kernels.size());
  std::vector<double> all_us;
  all_us.reserve(c.trace.kernels.size());
  struct Group {
    int64_t count = 0, total_ns = 0;
    std::vector<double> us;
    size_t first = 0;
  };
  std::map<std::pair<std::string, int>, Group> groups;
  int64_t total_kernel_ns = 0;
  // Group keys: a layer index, or -2 - stage for a pipeline kernel, or -1 for neither.
  auto group_of = [&](const GpuKernelRecord& k) {
    const int l = c.layer_of(k.step);
    if (l >= 0) return l;
    auto h = c.host.find(c.locate.frame(k.frame, k.start_ns));
    const int st = h == c.host.end() ? -1 : stage_at(*h->second, k.start_ns);
    return st >= 0 && st != static_cast<int>(PipelineStage::kInference) ? -2 - st : -1;
  };
  for (size_t i : c.order) {
    const GpuKernelRecord& k = c.trace.kernels[i];
    const int64_t d = duration_ns(k.start_ns, k.end_ns);
    const int l = group_of(k);
    if (l == -1) ++a.unattributed_kernels;
    all_us.push_back(static_cast<double>(d) / 1e3);
    total_kernel_ns += d;
    auto [it, fresh] = groups.try_emplace({k.name, l});
    if (fresh) it->second.first = i;
    ++it->second.count;
    it->second.total_ns += d;
    it->second.us.push_back(static_cast<double>(d) / 1e3);
  }
  a.kernel_us = compute_stats(all_us);
  std::vector<GpuKernelStat> stats;
  for (auto& [key, g] : groups) {
    const GpuKernelRecord& k = c.trace.kernels[g.first];
    GpuKernelStat s;
    s.name = key.first;
    if (key.second >= 0) {
      s.layer_id = c.layers[static_cast<size_t>(key.second)].id;
      s.layer_label = c.layers[static_cast<size_t>(key.second)].label;
    } else if (key.second <= -2) {
      s.layer_id = pipeline_stage_name(static_cast<PipelineStage>(-2 - key.second));
      s.layer_label = s.layer_id + " (GPU pipeline)";
    }
    s.count = g.count;
    s.per_frame = static_cast<double>(g.count) / c.n_frames;
    s.total_ms = ms_of(g.total_ns);
    s.share_pct =
        total_kernel_ns > 0 ? 100.0 * static_cast<double>(g.total_ns) / total_kernel_ns : 0;
    s.us = compute_stats(std::move(g.us));
    std::copy(std::begin(k.grid), std::end(k.grid), s.grid);
    std::copy(std::begin(k.block), std::end(k.block), s.block);
    s.registers = k.registers;
    s.shared_bytes = k.shared_bytes;
    stats.push_back(std::move(s));
  }
  std::stable_sort(stats.begin(), stats.end(), [](const GpuKernelStat& x, const GpuKernelStat& y) {
    return x.total_ms > y.total_ms;
  });
  if (stats.size() > kTopKernels) stats.resize(kTopKernels);
  a.top_kernels = std::move(stats);
}

// Per frame: counts, sizes, and busy time and gaps on the union of the frame's kernels (several
// streams may overlap; the device is busy while any kernel runs).
void add_frame_timeline(const GpuTraceContext& c, GpuAnalysis& a) {
  std::map<int64_t, int64_t> api_launches;
  for (const GpuApiRecord& r : c.trace.api) {
    if (!r.launches_kernel) continue;
    const int64_t f = c.locate.frame(r.frame, r.start_ns);
    if (f >= 0) ++api_launches[f];
  }
  std::vector<double> counts, gaps_us, busy_ms, idle_ms, gap_ms, gap_counts, launch_ms, sync_ms;
  std::vector<double> buckets(std::size(kBucketNames), 0.0);
  int64_t gap_total_ns = 0, span_total_ns = 0, busy_total_ns = 0, host_total_ns = 0;
  bool counts_match = a.frames > 0;
  bool any_step = false;
  for (const GpuKernelRecord& k : c.trace.kernels) any_step = any_step || k.step >= 0;
  for (const auto& [f, idx] : c.frame_kernels) {
    const auto n = static_cast<int64_t>(idx.size());
    counts.push_back(static_cast<double>(n));
    // Busy time and gaps are the forward's: the GPU pipeline's kernels run in other stages,
    // between which the device waits on the host by design.
    std::vector<std::pair<int64_t, int64_t>> intervals;
    intervals.reserve(idx.size());
    int64_t forward = 0;
    for (size_t i : idx) {
      const GpuKernelRecord& k = c.trace.kernels[i];
      buckets[size_bucket(static_cast<double>(duration_ns(k.start_ns, k.end_ns)) / 1e3)] += 1;
      if (any_step && k.step < 0) continue;
      ++forward;
      intervals.emplace_back(k.start_ns, std::max(k.start_ns, k.end_ns));
    }
    // A captured graph's kernel nodes are the forward's launches; eager launches are counted
    // from the API records, pipeline kernels included.
    if (c.trace.kernels_per_run >= 0) {
      counts_match = counts_match && forward == c.trace.kernels_per_run;
    } else {
      auto it = api_launches.find(f);
      counts_match = counts_match && it != api_launches.end() && it->second == n;
    }
    const Coverage cov = coverage(intervals);
    for (int64_t g : cov.gaps_ns) gaps_us.push_back(static_cast<double>(g) / 1e3);
    const int64_t gap_ns = cov.span_ns - cov.busy_ns;
    gap_total_ns += gap_ns;
    span_total_ns += cov.span_ns;
    gap_ms.push_back(ms_of(gap_ns));
    gap_counts.push_back(static_cast<double>(cov.gaps_ns.size()));
    busy_ms.push_back(ms_of(cov.busy_ns));
    // Idle is measured against the host's inference window of the frame; frames without one (no
    // host record) count their device span instead, so that idle is never invented.
    int64_t window_ns = cov.span_ns;
    auto it = c.host.find(f);
    if (it != c.host.end()) {
      if (auto w = inference_window(*it->second)) {
        window_ns = w->second - w->first;
        if (!intervals.empty()) {
          launch_ms.push_back(ms_of(std::max<int64_t>(0, cov.first_ns - w->first)));
          sync_ms.push_back(ms_of(std::max<int64_t>(0, w->second - cov.last_ns)));
        }
      }
    }
    busy_total_ns += cov.busy_ns;
    host_total_ns += window_ns;
    idle_ms.push_back(ms_of(std::max<int64_t>(0, window_ns - cov.busy_ns)));
  }
  a.kernels_per_frame = compute_stats(counts);
  a.kernel_counts_match = counts_match;
  for (size_t b = 0; b < buckets.size(); ++b) {
    a.kernel_size_histogram.emplace_back(kBucketNames[b], buckets[b] / c.n_frames);
  }
  a.busy_ms_per_frame = mean_of(busy_ms);
  a.launch_latency_ms = compute_stats(launch_ms).median;
  a.sync_latency_ms = compute_stats(sync_ms).median;
  a.idle_ms_per_frame = mean_of(idle_ms);
  a.busy_pct = host_total_ns > 0 ? std::min(100.0, 100.0 * static_cast<double>(busy_total_ns) /
                                                       static_cast<double>(host_total_ns))
                                 : 0;
  a.gap_ms_per_frame = mean_of(gap_ms);
  a.gaps_per_frame = mean_of(gap_counts);
  a.gap_us = compute_stats(gaps_us);
  a.launch_bound_pct = span_total_ns > 0 ? 100.0 * static_cast<double>(gap_total_ns) /
                                               static_cast<double>(span_total_ns)
                                         : 0;
}

// Copies by direction and host memory, and the host's waits on the device, of the traced frames.
void add_copies_and_waits(const GpuTraceContext& c, GpuAnalysis& a) {
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, std::pair<int64_t, int64_t>>>
      copy_groups;  // (direction, memory) -> (count, (bytes, ns))
  int64_t copy_total_ns = 0, pageable_bytes = 0;
  for (const GpuCopyRecord& r : c.trace.copies) {
    const int64_t f = c.locate.frame(r.frame, r.start_ns);
    if (!c.layer_ms.count(f)) continue;
    GpuMemoryKind host_side = r.src;
    if (r.kind == GpuCopyKind::kDeviceToHost || r.kind == GpuCopyKind::kMemset) host_side = r.dst;
    const char* memory = memory_kind_name(host_side);
    if (r.kind == GpuCopyKind::kDeviceToDevice || r.kind == GpuCopyKind::kPeer) memory = "device";
    auto& g = copy_groups[{copy_kind_name(r.kind), memory}];
    const int64_t d = duration_ns(r.start_ns, r.end_ns);
    ++g.first;
    g.second.first += r.bytes;
    g.second.second += d;
    copy_total_ns += d;
    if (r.src == GpuMemoryKind::kPageable || r.dst == GpuMemoryKind::kPageable)
      pageable_bytes += r.bytes;
  }
  for (const auto& [key, g] : copy_groups) {
    GpuCopyStat s;
    s.direction = key.first;
    s.memory = key.second;
    s.count = g.first;
    s.bytes_per_frame = static_cast<double>(g.second.first) / c.n_frames;
    s.ms_per_frame = ms_of(g.second.second) / c.n_frames;
    s.gbs = g.second.second > 0
                ? static_cast<double>(g.second.first) / static_cast<double>(g.second.second)
                : 0;  // bytes per ns is GB/s
    a.copies.push_back(s);
  }
  std::stable_sort(
      a.copies.begin(), a.copies.end(),
      [](const GpuCopyStat& x, const GpuCopyStat& y) { return x.ms_per_frame > y.ms_per_frame; });
  a.copy_ms_per_frame = ms_of(copy_total_ns) / c.n_frames;
  a.pageable_bytes_per_frame = static_cast<double>(pageable_bytes) / c.n_frames;
  int64_t wait_ns = 0, outside_ns = 0;
  for (const GpuSyncRecord& s : c.trace.syncs) {
    const int64_t f = c.locate.frame(s.frame, s.start_ns);
    if (!c.layer_ms.count(f)) continue;
    wait_ns += duration_ns(s.start_ns, s.end_ns);
    auto h = c.host.find(f);
    const bool in_inference = h != c.host.end() && stage_at(*h->second, s.start_ns) ==
                                                       static_cast<int>(PipelineStage::kInference);
    if (!in_inference) outside_ns += duration_ns(s.start_ns, s.end_ns);
  }
  a.host_wait_ms_per_frame = ms_of(wait_ns) / c.n_frames;
  a.host_wait_outside_inference_ms_per_frame = ms_of(outside_ns) / c.n_frames;
}

}  // namespace ys::gpu_steps
