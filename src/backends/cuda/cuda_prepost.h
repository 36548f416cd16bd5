// The detection pipeline's pre- and postprocessing on the GPU, on the backend's stream, so a
// frame crosses the bus as BGR bytes in and at most max_det boxes out. PrePost stages images in
// pinned memory, letterboxes them straight into the executor's device input (the host letterbox's
// OpenCV fixed-point arithmetic, bit for bit), and after the forward decodes candidates, sorts
// them (CUB segmented radix sort), and runs greedy NMS as an IoU bitmask and a one-block
// selection per image, with the host's float steps, so the detections equal nms_candidates'.
// make_cuda_prepost offers it to the pipeline as a DevicePrePost (backends/device_prepost.h).
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <vector>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/cuda_prepost_kernels.h"
#include "backends/device_prepost.h"
#include "core/numa_memory.h"
#include "core/tensor.h"
#include "runtime/backend.h"

namespace ys::cuda {

// Page-locked host bytes, for copies that are truly asynchronous. With a NUMA node (a host of
// several nodes, the node of the GPU's PCIe slot), the pages are placed on that node first and
// then registered with CUDA (core/numa_memory.h); where that cannot be done, and without a node,
// cudaHostAlloc places them wherever the allocating thread's policy does.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(size_t bytes, const char* what, int numa_node = -1);
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& o) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void* get() const { return ptr_; }
  size_t size() const { return bytes_; }
  // The node its pages were placed on; -1 when none was asked for or placing them failed.
  int numa_node() const { return node_; }

 private:
  void release();

  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  int node_ = -1;
  NodeLocalMemory local_;  // the pages, when registered rather than cudaHostAlloc'd
};

// The NUMA node of CUDA device `device` on a host of several nodes; -1 on a host of one node or
// where sysfs does not say.
int device_numa_node(int device);

// The three calls enqueue work on the context's stream and return; synchronize() waits for it.
// Buffers are sized at first use and grow when a larger image or output comes.
class PrePost {
 public:
  explicit PrePost(std::shared_ptr<Context> ctx);
  ~PrePost();
  PrePost(const PrePost&) = delete;
  PrePost& operator=(const PrePost&) = delete;

  // images[i] (uint8 BGR [H, W, 3] in host memory) goes to batch slot i of `input`, a float32
  // [B, 3, height, width] tensor in device memory; the other slots are left as they are.
  void letterbox(const std::vector<const Tensor*>& images,
                 const std::vector<LetterboxPlacement>& placements, const Tensor& input);
  // Candidates of the first `images` images of `output` (device float32 [B, 4 + nc, anchors]):
  // threshold, best class, corners, sorted best first.
  void decode(const Tensor& output, int images, const DeviceNmsOptions& options);
  // NMS on what decode() left, then the copy of the counts and kept boxes to pinned memory.
  void nms();
  void synchronize();

  // After nms() and synchronize(): image i's detections in model-input pixels, best first, and
  // the candidates that entered its NMS (at most max_nms).
  std::vector<GpuDetection> detections(int image) const;
  int candidates(int image) const;

 private:
  void upload_classes(const std::vector<int>& classes, int nc);

  std::shared_ptr<Context> ctx_;
  int numa_node_ = -1;  // where its pinned buffers go (device_numa_node)
  EventPtr uploaded_;   // the staging buffer may be refilled once this has passed
  PinnedBuffer staging_;
  DeviceBuffer upload_;

  DeviceNmsOptions options_;
  int images_ = 0, batch_ = 0, anchors_ = 0, nc_ = 0, anchor_bits_ = 1;
  DeviceBuffer boxes_, keys_, sorted_, sort_temp_, segments_, mask_, classes_;
  std::vector<int> classes_on_device_;
  int classes_nc_ = -1;
  // Counts and kept boxes: one layout on both sides, so one copy brings them back.
  DeviceBuffer results_;
  PinnedBuffer results_host_;
  int result_slots_ = 0;
};

}  // namespace ys::cuda

namespace ys {

// A PrePost on the stream of `backend` when it was made by make_cuda_backend; nullptr otherwise.
std::unique_ptr<DevicePrePost> make_cuda_prepost(Backend& backend, const DeviceNmsOptions& nms);

}  // namespace ys
