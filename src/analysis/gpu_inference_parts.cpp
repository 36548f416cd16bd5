// The detailed-mode step of analyze_gpu (analysis/gpu_analysis_steps.h) that cuts each traced
// frame's host inference window into named parts. The per-layer medians left 11-15% of inference
// unexplained on the H200 with a CUDA graph: CUPTI's records showed the device idle after the
// timed layer group until the host's graph launch call returned, in a different layer each frame,
// so no layer's median kept it. Cutting the window itself, frame by frame, names every part.
#include <algorithm>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "analysis/gpu_analysis_steps.h"

namespace ys::gpu_steps {
namespace {

using Interval = std::pair<int64_t, int64_t>;

// Sorted, merged intervals.
std::vector<Interval> merged(std::vector<Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<Interval> out;
  for (const Interval& i : v) {
    if (!out.empty() && i.first <= out.back().second)
      out.back().second = std::max(out.back().second, i.second);
    else
      out.push_back(i);
  }
  return out;
}

int64_t length(const std::vector<Interval>& v) {
  int64_t n = 0;
  for (const Interval& i : v) n += i.second - i.first;
  return n;
}

// Time of [b, e) inside the merged intervals `v`.
int64_t overlap(int64_t b, int64_t e, const std::vector<Interval>& v) {
  int64_t n = 0;
  for (const Interval& i : v)
    n += std::max<int64_t>(0, std::min(e, i.second) - std::max(b, i.first));
  return n;
}

// An API call that hands the device work: a kernel launch, a graph launch (CUPTI does not count
// it as a kernel launch), or an asynchronous copy or memset.
bool enqueues_work(const GpuApiRecord& r) {
  if (r.launches_kernel) return true;
  for (const char* tag : {"GraphLaunch", "Memcpy", "Memset"}) {
    if (r.name.find(tag) != std::string::npos) return true;
  }
  return false;
}

struct Part {
  const char* name;
  const char* what;
};

// The parts in time order within a frame; launch_wait and gaps interleave between kernels.
constexpr Part kParts[] = {
    {"launch", "from the inference stage's start to the device's first work: the host's launch"},
    {"kernels", "the device running the forward's kernels"},
    {"copies", "the device copying with no kernel running"},
    {"launch_wait",
     "the device idle between kernels while the host was still in a launch call: work not yet "
     "handed over (with CUPTI and a CUDA graph, the nodes after the timed layers' last event)"},
    {"gaps",
     "the device idle between kernels with no launch call under way (eager: the host's op code "
     "between launches)"},
    {"sync", "from the device's last work to the host's return from synchronising"},
};
constexpr size_t kPartCount = std::size(kParts);

}  // namespace

void add_inference_parts(const GpuTraceContext& c, GpuAnalysis& a) {
  // Copies and API calls by frame, located the same way as the kernels.
  std::map<int64_t, std::vector<Interval>> copies, calls;
  for (const GpuCopyRecord& r : c.trace.copies) {
    const int64_t f = c.locate.frame(r.frame, r.start_ns);
    if (c.frame_kernels.count(f))
      copies[f].emplace_back(r.start_ns, std::max(r.start_ns, r.end_ns));
  }
  for (const GpuApiRecord& r : c.trace.api) {
    if (!enqueues_work(r)) continue;
    const int64_t f = c.locate.frame(r.frame, r.start_ns);
    if (c.frame_kernels.count(f)) calls[f].emplace_back(r.start_ns, std::max(r.start_ns, r.end_ns));
  }

  std::vector<std::vector<double>> per_part(kPartCount);
  std::vector<double> inference, coverage, layer_sums, launch_calls;
  for (const auto& [f, idx] : c.frame_kernels) {
    auto h = c.host.find(f);
    if (h == c.host.end()) continue;
    const auto w = inference_window(*h->second);
    if (!w) continue;
    const auto [begin, end] = *w;
    // The device's work in the window: every kernel and copy that started in it, the GPU
    // pipeline's included should one run there, on any stream (the device is busy while any runs).
    std::vector<Interval> kernels, work;
    for (size_t i : idx) {
      const GpuKernelRecord& k = c.trace.kernels[i];
      if (k.start_ns < begin || k.start_ns >= end) continue;
      kernels.emplace_back(k.start_ns, std::max(k.start_ns, k.end_ns));
    }
    if (kernels.empty()) continue;
    work = kernels;
    for (const Interval& i : copies[f]) {
      if (i.first >= begin && i.first < end) work.push_back(i);
    }
    kernels = merged(std::move(kernels));
    work = merged(std::move(work));
    const std::vector<Interval> launching = merged(calls[f]);
    launch_calls.push_back(ms_of(overlap(begin, end, launching)));
    int64_t wait = 0, idle = 0;
    for (size_t i = 0; i + 1 < work.size(); ++i) {
      const int64_t gap_begin = work[i].second, gap_end = work[i + 1].first;
      const int64_t waited = overlap(gap_begin, gap_end, launching);
      wait += waited;
      idle += gap_end - gap_begin - waited;
    }
    const int64_t first = work.front().first, last = work.back().second;
    const int64_t busy = length(kernels);
    const int64_t values[kPartCount] = {
        std::max<int64_t>(0, first - begin), busy, length(work) - busy, wait, idle,
        std::max<int64_t>(0, end - last)};
    int64_t sum = 0;
    for (size_t p = 0; p < kPartCount; ++p) {
      per_part[p].push_back(ms_of(values[p]));
      sum += values[p];
    }
    inference.push_back(ms_of(end - begin));
    coverage.push_back(
        end > begin ? 100.0 * static_cast<double>(sum) / static_cast<double>(end - begin) : 0);
    auto row = c.layer_ms.find(f);
    if (row != c.layer_ms.end()) {
      double s = 0;
      for (double v : row->second) s += v;
      layer_sums.push_back(s);
    }
  }
  GpuInferenceParts& r = a.inference_parts;
  r.frames = static_cast<int64_t>(inference.size());
  if (inference.empty()) return;
  r.inference_ms = compute_stats(inference);
  for (size_t p = 0; p < kPartCount; ++p) {
    GpuInferencePart part;
    part.name = kParts[p].name;
    part.what = kParts[p].what;
    part.ms = compute_stats(per_part[p]);
    part.share_pct = r.inference_ms.mean > 0 ? 100.0 * part.ms.mean / r.inference_ms.mean : 0;
    r.sum_ms += part.ms.mean;
    r.parts.push_back(std::move(part));
  }
  r.coverage_pct = r.inference_ms.mean > 0 ? 100.0 * r.sum_ms / r.inference_ms.mean : 0;
  r.frame_coverage_min_pct = *std::min_element(coverage.begin(), coverage.end());
  r.frame_coverage_max_pct = *std::max_element(coverage.begin(), coverage.end());
  r.layers_per_frame_mean_ms = mean_of(layer_sums);
  r.launch_calls_ms = compute_stats(launch_calls);
}

}  // namespace ys::gpu_steps
