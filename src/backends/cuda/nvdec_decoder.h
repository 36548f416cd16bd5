// NVDEC through the Video Codec SDK's parser and decoder API (issue 20). libcuda and libnvcuvid
// are loaded at run time by nv-codec-headers' loader (Debian libffmpeg-nvenc-dev), so the build
// needs no driver and a machine without one gets an ys::Error naming the missing library. Annex B
// packets go in (pipeline/demuxer makes them); decoded 8-bit 4:2:0 frames come out as NV12
// surfaces in device memory, in display order, for launch_nv12_letterbox. The parser takes a
// surface back once its frame is shown, mapped or not, so frames waiting to be mapped need spare
// surfaces: the decoder keeps up to 10 beyond the parser's minimum (at most 32 in all), and a
// caller pushing ahead keeps within max_ahead() pictures of the frames it has mapped
// (pipeline/nvdec_ahead.h). Decoding and letterboxing ran on an H200 (docs/GPU.md); decoding
// ahead from another thread has not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace ys::cuda {

enum class NvdecCodec { kH264, kHevc, kAv1, kVp9 };

// A mapped surface: valid until the next map_next() or unmap() on its decoder.
struct NvdecSurface {
  const uint8_t* luma = nullptr;
  const uint8_t* chroma = nullptr;  // interleaved Cb/Cr at half resolution
  int pitch = 0;
  int width = 0, height = 0;  // the display area
  int64_t pts = 0;
};

class NvdecDecoder {
 public:
  // Throws ys::Error: kUnsupported where libcuda.so.1 or libnvcuvid.so.1 is missing, or where the
  // GPU cannot decode the codec at the stream's size and bit depth (said when the first sequence
  // header arrives, from push()).
  NvdecDecoder(NvdecCodec codec, int device);
  ~NvdecDecoder();
  NvdecDecoder(const NvdecDecoder&) = delete;
  NvdecDecoder& operator=(const NvdecDecoder&) = delete;

  // Feeds one Annex B packet; size 0 ends the stream and flushes the frames held back. Throws
  // kBadInput for a packet the parser refuses, a picture that does not decode or a frame waiting
  // to be mapped whose surface a new picture took (dropped: the caller went beyond max_ahead());
  // the stream goes on with the next packet. kUnsupported for a stream this decoder cannot
  // follow.
  void push(const uint8_t* data, size_t size, int64_t pts);
  // Maps the oldest decoded frame for kernels on `stream` (a cudaStream_t); false when none is
  // ready yet.
  bool map_next(NvdecSurface& out, void* stream);
  // Frames decoded and not yet mapped.
  size_t ready() const;
  // Pictures that may be pushed beyond the frames mapped without overwriting one waiting to be
  // mapped; 1 before the first sequence header.
  int max_ahead() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ys::cuda
