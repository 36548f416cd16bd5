#include "pipeline/detector_pool.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace ys {

std::vector<std::string> device_list(const std::string& device) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= device.size();) {
    const size_t comma = std::min(device.find(',', start), device.size());
    std::string name = device.substr(start, comma - start);
    if (name.rfind("cuda:", 0) == 0) name.erase(0, 5);
    if (name.empty())
      fail(ErrorKind::kInvalidArgument, "device=", device, ": an empty device name");
    if (std::find(out.begin(), out.end(), name) != out.end())
      fail(ErrorKind::kInvalidArgument, "device=", device, ": device ", name, " is named twice");
    out.push_back(std::move(name));
    start = comma + 1;
  }
  return out;
}

bool PoolRun::any_failed() const {
  return std::any_of(devices.begin(), devices.end(), [](const DeviceRun& d) { return d.failed; });
}

int64_t PoolRun::lost_frames() const {
  int64_t n = 0;
  for (const DeviceRun& d : devices) n += static_cast<int64_t>(d.lost_frames.size());
  return n;
}

double frame_imbalance(const std::vector<DeviceRun>& devices) {
  if (devices.size() < 2) return 0;
  int64_t lo = devices.front().frames, hi = lo;
  for (const DeviceRun& d : devices) {
    lo = std::min(lo, d.frames);
    hi = std::max(hi, d.frames);
  }
  return hi > 0 ? 1.0 - static_cast<double>(lo) / static_cast<double>(hi) : 0.0;
}

std::string describe_devices(const PoolRun& run) {
  std::string s;
  char buf[96];
  for (const DeviceRun& d : run.devices) {
    std::snprintf(buf, sizeof buf, "device %s: %lld frames, busy %.2f s%s", d.device.c_str(),
                  static_cast<long long>(d.frames), d.busy_ms / 1e3, d.failed ? " (failed)" : "");
    s += (s.empty() ? "" : "; ") + std::string(buf);
  }
  std::snprintf(buf, sizeof buf, "; imbalance %.0f%%", 100 * frame_imbalance(run.devices));
  return s + buf;
}

namespace {

// "3-5, 9": runs of consecutive frame numbers.
std::string frame_ranges(const std::vector<int64_t>& frames) {
  std::string s;
  for (size_t i = 0; i < frames.size();) {
    size_t j = i;
    while (j + 1 < frames.size() && frames[j + 1] == frames[j] + 1) ++j;
    if (!s.empty()) s += ", ";
    s += std::to_string(frames[i]);
    if (j > i) s += "-" + std::to_string(frames[j]);
    i = j + 1;
  }
  return s;
}

}  // namespace

std::vector<std::string> describe_failures(const PoolRun& run) {
  std::vector<std::string> lines;
  for (const DeviceRun& d : run.devices) {
    if (!d.failed) continue;
    std::string line = "device " + d.device + " failed after " + std::to_string(d.frames) +
                       " frames: " + d.error + "; ";
    line += d.lost_frames.empty()
                ? std::string("it held no frames")
                : std::to_string(d.lost_frames.size()) + " frame(s) lost (source frames " +
                      frame_ranges(d.lost_frames) + ")";
    lines.push_back(line + "; the other devices took the rest");
  }
  return lines;
}

std::vector<DeviceRun> merge_device_runs(const std::vector<DeviceRun>& runs) {
  std::vector<DeviceRun> out;
  for (const DeviceRun& r : runs) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const DeviceRun& o) { return o.device == r.device; });
    if (it == out.end()) {
      out.push_back(r);
      continue;
    }
    it->frames += r.frames;
    it->batches += r.batches;
    it->busy_ms += r.busy_ms;
    it->read_ms += r.read_ms;
    if (r.failed && !it->failed) it->error = r.error;
    it->failed = it->failed || r.failed;
    it->lost_frames.insert(it->lost_frames.end(), r.lost_frames.begin(), r.lost_frames.end());
    std::sort(it->lost_frames.begin(), it->lost_frames.end());
  }
  return out;
}

DetectorPool::DetectorPool(const DetectorOptions& options, int streams_per_device) {
  if (streams_per_device < 1)
    fail(ErrorKind::kInvalidArgument, "DetectorPool: ", streams_per_device,
         " streams per device; at least 1");
  const std::vector<std::string> names = device_list(options.device);
  for (int s = 0; s < streams_per_device; ++s) {
    for (const std::string& d : names) {
      DetectorOptions one = options;
      one.device = d;
      detectors_.push_back(std::make_unique<Detector>(one));
      devices_.push_back(d);
    }
  }
}

DetectorPool::DetectorPool(std::vector<std::unique_ptr<Detector>> detectors,
                           std::vector<std::string> devices)
    : detectors_(std::move(detectors)), devices_(std::move(devices)) {
  if (detectors_.empty() || detectors_.size() != devices_.size()) {
    fail(ErrorKind::kInvalidArgument, "DetectorPool: ", detectors_.size(), " detectors for ",
         devices_.size(), " device names");
  }
}

std::vector<Detector*> DetectorPool::detectors() const {
  std::vector<Detector*> out;
  for (const auto& d : detectors_) out.push_back(d.get());
  return out;
}

void DetectorPool::run(FrameLoop loop, PoolRun& out) {
  out = PoolRun{};
  loop.detectors = detectors();
  loop.devices = devices_;
  loop.device_runs = &out.devices;
  try {
    out.delivered = run_frame_loop(loop);
  } catch (...) {
    out.devices = merge_device_runs(out.devices);
    throw;
  }
  out.devices = merge_device_runs(out.devices);
}

}  // namespace ys
