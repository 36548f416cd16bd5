// Several devices for one stream: a DetectorPool holds one Detector per device named by
// DetectorOptions::device ("0,1", as Ultralytics writes a device list), each with its own backend
// (on a GPU its own CUDA context, stream, graph and memory). run() sends the batches through the
// one frame loop (frame_loop.h): each goes to the least-loaded device and comes back in source
// order; a device that fails mid-run loses only the batch it held, which run() reports with its
// frames, and the other devices take the rest. With streams per device (device=0,1 streams=2),
// each device holds that many detectors, each on its own CUDA stream, and the figures are summed
// per device. This is how yolo predict runs device=0,1.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline/frame_loop.h"

namespace ys {

// "0,1" -> {"0", "1"}; "cpu" or "0" -> one entry. A "cuda:" prefix is dropped from each name.
// Throws Error(kInvalidArgument) for an empty name ("0,,1") or a device named twice.
std::vector<std::string> device_list(const std::string& device);

// What a pool's run did on each device, and how far apart the devices' shares were.
struct PoolRun {
  int64_t delivered = 0;  // frames delivered in source order
  std::vector<DeviceRun> devices;
  bool any_failed() const;
  int64_t lost_frames() const;
};

// How unevenly the frames were shared: 1 - fewest / most frames of any device (0: even; 1: a
// device did nothing). 0 with fewer than two devices.
double frame_imbalance(const std::vector<DeviceRun>& devices);
// "device 0: 9 frames, busy 1.20 s; device 1: 3 frames, busy 1.81 s; imbalance 67%".
std::string describe_devices(const PoolRun& run);

// One line per failed device: which device, why, and the frames it held.
std::vector<std::string> describe_failures(const PoolRun& run);

// The frame loop's runs of several detectors on one device (streams per device) as one run per
// device, in the order the devices first appear: frames, batches and times summed; failed when
// any of its detectors failed (the first error; every lost frame, in order).
std::vector<DeviceRun> merge_device_runs(const std::vector<DeviceRun>& runs);

class DetectorPool {
 public:
  // `streams_per_device` Detectors per device of options.device, built one after the other and
  // interleaved (0, 1, 0, 1, ...); a device that cannot be opened fails the constructor, naming it.
  explicit DetectorPool(const DetectorOptions& options, int streams_per_device = 1);
  // Detectors made by the caller (on backends of its own, as tests' fake devices), one per name.
  DetectorPool(std::vector<std::unique_ptr<Detector>> detectors, std::vector<std::string> devices);

  size_t size() const { return detectors_.size(); }
  Detector& at(size_t k) { return *detectors_.at(k); }
  // The device of each detector (a name repeats with streams per device).
  const std::string& device(size_t k) const { return devices_.at(k); }
  const std::vector<std::string>& devices() const { return devices_; }
  std::vector<Detector*> detectors() const;

  // The frame loop over every device; `loop`'s detectors and devices are set from the pool, and
  // `out.devices` has one run per device (merge_device_runs). A failure of every device is
  // rethrown, as run_frame_loop does, with `out` filled first.
  void run(FrameLoop loop, PoolRun& out);

 private:
  std::vector<std::unique_ptr<Detector>> detectors_;
  std::vector<std::string> devices_;
};

}  // namespace ys
