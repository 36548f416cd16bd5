// Video decoding on the device that runs the model (issue 20: NVDEC), as one interface so that the
// pipeline gets it from the backends registry (make_device_video_decoder) without naming a
// backend. Compressed Annex B data goes in; each decoded frame is letterboxed on the device
// straight into a batch slot of the model's input, and copied back to the host only when an
// output needs its pixels. A backend or machine without a video decoder gives nullptr or throws
// kUnsupported, and the pipeline decodes on the CPU.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backends/device_prepost.h"
#include "core/tensor.h"

namespace ys {

enum class DeviceVideoCodec { kH264, kHevc, kAv1, kVp9 };

struct DeviceVideoFrame {
  int width = 0, height = 0;  // the display area
  int64_t pts = 0;            // as given to push() with the packet the frame began in
};

class DeviceVideoDecoder {
 public:
  virtual ~DeviceVideoDecoder() = default;
  // One chunk of the elementary stream (whole packets or any cut of an Annex B file); size 0
  // ends the stream and flushes the frames held back. Throws ys::Error: kUnsupported where the
  // device cannot decode the stream (its profile, size or bit depth, said at the first sequence
  // header), kBadInput for data the parser refuses or a picture that does not decode (the stream
  // goes on with the next chunk).
  virtual void push(const uint8_t* data, size_t size, int64_t pts) = 0;
  // Makes the oldest decoded frame, in display order, the current one; false when none is ready
  // (push more). The previous current frame is released.
  virtual bool next(DeviceVideoFrame& frame) = 0;
  // The current frame, converted to RGB, resized into `at` and padded with 114, /255, into batch
  // slot `slot` of `input`: the model's float32 [B, 3, H, W] input in device memory. Enqueued on
  // the backend's stream, so the model's run that follows sees it.
  virtual void letterbox(const LetterboxPlacement& at, const Tensor& input, int slot) = 0;
  // The current frame as a host uint8 BGR [height, width, 3] image (for outputs that draw on it).
  virtual Tensor download_bgr() = 0;
  // How many pictures may be pushed beyond the frames taken by next() before a decoded frame
  // waiting for next() could be overwritten (a decoder's spare surfaces): a thread that pushes
  // ahead of its consumer stays within it. Known once the first sequence header is decoded.
  // No call is thread-safe: a caller on two threads serialises them.
  virtual int max_ahead() const = 0;
};

}  // namespace ys
