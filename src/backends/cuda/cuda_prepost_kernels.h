// Launchers of the detection pipeline's kernels (letterbox, box decoding, NMS), kept to plain
// structs and pointers like cuda_kernels.h so the .cu file compiles as C++17 and the host side
// needs no CUDA C++. The arithmetic reproduces the host pipeline bit for bit; cuda_prepost.h says
// how each step maps to its host counterpart.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace ys::cuda {

// One tap of OpenCV's INTER_LINEAR: first source index and the 11-bit fixed-point weights of it
// and of the next one.
struct ResizeTap {
  int32_t src;
  int16_t w0, w1;
};

// Where one image sits in the upload and in the model input.
struct LetterboxJob {
  int64_t pixels;  // byte offset of its BGR pixels in the upload
  int32_t x_taps;  // index of its first column tap in the tap array; -1: no resize needed
  int32_t y_taps;  // index of its first row tap
  int32_t src_width, src_height;
  int32_t resized_width, resized_height;
  int32_t pad_left, pad_top;
};

// A detection as ys::Detection lays it out: corners, score, class.
struct GpuDetection {
  float x1, y1, x2, y2, conf;
  int32_t cls;
};

// Writes batch slots 0..count-1 of the float32 NCHW tensor `nchw` ([*, 3, height, width]).
void launch_letterbox(const uint8_t* upload, const LetterboxJob* jobs, const ResizeTap* taps,
                      int count, float* nchw, int width, int height, cudaStream_t s);

struct DecodeArgs {
  const float* pred = nullptr;  // [images, 4 + nc, anchors]
  int images = 0, channels = 0, anchors = 0;
  float conf = 0;
  const uint8_t* allowed = nullptr;  // [nc]: 1 keeps the class; nullptr keeps all
  int anchor_bits = 1;               // bits of an anchor index inside a sort key
  GpuDetection* boxes = nullptr;     // [images, anchors], by anchor
  uint64_t* keys = nullptr;          // [images, anchors], packed from each image's start
  int* ends = nullptr;  // [images], holding image * anchors on entry; one past its last key on exit
};
// Keys sort ascending into descending score, ties by ascending anchor (a stable sort's order).
void launch_decode(const DecodeArgs& a, cudaStream_t s);

// cub::DeviceSegmentedRadixSort::SortKeys over bits [0, end_bit); with temp == nullptr it only
// sets temp_bytes.
void sort_segments(void* temp, size_t& temp_bytes, const uint64_t* in, uint64_t* out, int items,
                   int segments, const int* begins, const int* ends, int end_bit, cudaStream_t s);

struct NmsArgs {
  const GpuDetection* boxes = nullptr;
  const uint64_t* sorted = nullptr;  // keys sorted within each image's segment
  const int* ends = nullptr;
  int images = 0, anchors = 0, anchor_bits = 1;
  int max_nms = 0;           // candidates entering NMS
  int rows = 0;              // mask rows per image: min(anchors, max_nms), at least 1
  int words = 0;             // 64-bit mask words per row: ceil(rows / 64)
  uint64_t* mask = nullptr;  // [images, rows, words]
  double iou = 0;
  bool agnostic = false;
  float max_wh = 0;
  int max_det = 0;
  GpuDetection* out = nullptr;  // [images, max_det]
  int* kept = nullptr;          // [images]
  int* candidates = nullptr;    // [images]: candidates that entered NMS
};
// `grid` caps the blocks per image of the IoU kernel, which loops over the tiles it is given.
void launch_nms(const NmsArgs& a, int grid, cudaStream_t s);

}  // namespace ys::cuda
