// decoder=nvdec's frames (issue 20): a raw H.264/H.265 Annex B file (.h264, .h265, ...: no
// demuxer needed, pipeline/annexb_reader.h) or any video file or stream URL demuxed on the host
// (libavformat, pipeline/demuxer.h), decoded by the GPU's video decoder (the registry's
// make_device_video_decoder) and letterboxed on the GPU straight into the detector's input, one
// batch slot per frame (Frame::device_slot), with no host copy of the frame. The packets are read
// and pushed to the decoder on a thread of its own, ahead of the frame loop
// (pipeline/nvdec_ahead.h); the letterbox into a slot happens when the frame loop asks. Only
// outputs that draw on frames (save=True) get host pixels, copied back per frame. The frame loop's
// read stage is then taking a decoded frame and the letterbox kernel. The source belongs to its
// detector: it must be read in batches of detector.batch() by one frame loop with that detector
// alone, never ahead of it (prefetch_source), since the frames are in the detector's input.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "backends/device_video.h"

#include "pipeline/detector.h"
#include "pipeline/source.h"

namespace ys {

struct NvdecSourceResult {
  std::unique_ptr<Source> source;  // nullptr where NVDEC cannot take this stream here
  // Then the one line that says why ("decoder=nvdec: ...; decoding on the CPU"); empty for
  // decoder=auto, which falls back silently.
  std::string note;
};

// `requested` is the decoder= argument (nvdec or auto), for the note. Opening primes the decoder
// with the packets up to the first decoded frame, so that a stream this GPU cannot decode (its
// profile, bit depth or size), a missing driver library or a build without a demuxer or NVDEC is
// found here, not mid-run. Later failures are the run's: a corrupt packet or a stream cut short
// is listed in errors() and skipped, a change of size mid-stream ends the run with a message.
NvdecSourceResult open_nvdec_source(const std::string& url, Detector& detector, int vid_stride,
                                    bool host_pixels, std::string_view requested = "nvdec");

// The same over any device decoder, made by `make_decoder` for the stream's codec, into batch
// slots of `input` (float32 [B, 3, H, W]): open_nvdec_source passes the registry's decoder and
// the detector's input; tests play a device on the CPU.
using DeviceDecoderFactory = std::function<std::unique_ptr<DeviceVideoDecoder>(DeviceVideoCodec)>;
NvdecSourceResult open_device_video_source(const std::string& url,
                                           const DeviceDecoderFactory& make_decoder,
                                           const Tensor& input, int vid_stride, bool host_pixels,
                                           std::string_view requested = "nvdec");

}  // namespace ys
