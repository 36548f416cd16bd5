// Timestamps travel through NVDEC's parser as microseconds of media time: it hands each frame the
// value of the packet its picture began in, and display order differs from decode order.
#include "pipeline/nvdec_source.h"

#include <cmath>
#include <optional>

#include "backends/backend_registry.h"
#include "core/error.h"
#include "pipeline/letterbox.h"

#ifdef YS_HAVE_LIBAV
#include "pipeline/demuxer.h"
#endif

namespace ys {
namespace {

std::string cpu_note(std::string_view requested, const std::string& why) {
  if (requested != "nvdec") return {};
  return cat("decoder=", requested, ": ", why, "; decoding on the CPU");
}

#ifdef YS_HAVE_LIBAV
bool is_url(const std::string& s) {
  return s.find("://") != std::string::npos;
}

DeviceVideoCodec device_codec(VideoCodec c) {
  switch (c) {
    case VideoCodec::kHevc:
      return DeviceVideoCodec::kHevc;
    case VideoCodec::kAv1:
      return DeviceVideoCodec::kAv1;
    case VideoCodec::kVp9:
      return DeviceVideoCodec::kVp9;
    case VideoCodec::kH264:
    case VideoCodec::kOther:
      break;
  }
  return DeviceVideoCodec::kH264;
}

class NvdecSource final : public Source {
 public:
  NvdecSource(std::string url, std::unique_ptr<Demuxer> demux,
              std::unique_ptr<DeviceVideoDecoder> decoder, const Tensor& input, int stride,
              bool host_pixels)
      : url_(std::move(url)),
        demux_(std::move(demux)),
        decoder_(std::move(decoder)),
        input_(input),
        batch_(static_cast<int>(input.dim(0))),
        stride_(stride),
        host_pixels_(host_pixels),
        kind_(is_url(url_) ? FrameKind::kStream : FrameKind::kVideo) {}

  // Decodes up to the first frame; false when the stream ends before one.
  bool prime() {
    primed_ = take(first_);
    return primed_;
  }

  bool next(Frame& frame) override {
    DeviceVideoFrame f;
    while (take(f)) {
      const int64_t index = decoded_++;
      if (index % stride_ != 0) continue;  // decoded (later frames refer to it), not letterboxed
      const int slot = static_cast<int>(produced_++ % batch_);
      const LetterboxInfo g = letterbox_geometry(f.width, f.height, static_cast<int>(input_.dim(3)),
                                                 static_cast<int>(input_.dim(2)));
      decoder_->letterbox({g.resized_width, g.resized_height, g.pad_left, g.pad_top}, input_, slot);
      frame = Frame{};
      frame.source = url_;
      frame.kind = kind_;
      frame.index = index;
      frame.timestamp_s = static_cast<double>(f.pts) / 1e6;
      frame.device_slot = slot;
      frame.device_width = f.width;
      frame.device_height = f.height;
      if (host_pixels_) frame.image = decoder_->download_bgr();
      return true;
    }
    return false;
  }

  std::string describe() const override {
    const VideoStreamInfo& i = demux_->info();
    return cat(kind_ == FrameKind::kVideo ? "video " : "stream ", url_, " (",
               i.declared_packets > 0 ? cat(i.declared_packets, " frames, ") : std::string(),
               i.width, "x", i.height, ", ", i.frame_rate, " fps; ", i.codec_name,
               " decoded by NVDEC)");
  }

  // One packet a frame in the H.264/H.265 streams NVDEC takes.
  std::optional<int64_t> size() const override {
    if (kind_ != FrameKind::kVideo || demux_->info().declared_packets <= 0) return std::nullopt;
    return demux_->info().declared_packets;
  }

 private:
  // The next frame out of the decoder, feeding it packets as it asks; false at the end.
  bool take(DeviceVideoFrame& f) {
    if (primed_) {
      primed_ = false;
      f = first_;
      return true;
    }
    while (!decoder_->next(f)) {
      if (flushed_) return false;
      feed();
    }
    return true;
  }

  void feed() {
    std::optional<VideoPacket> p;
    try {
      p = demux_->next();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kBadInput) throw;
      report(e.what());  // a corrupt packet or a stream cut short; the demuxer goes on after it
      return;
    }
    if (!p) {
      decoder_->push(nullptr, 0, 0);
      flushed_ = true;
      return;
    }
    try {
      decoder_->push(p->data.data(), p->data.size(), std::llround(p->seconds * 1e6));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kBadInput) throw;
      report(cat(url_, ": packet ", p->index + 1, " at ", p->seconds, " s: ", e.what()));
    }
  }

  std::string url_;
  std::unique_ptr<Demuxer> demux_;
  std::unique_ptr<DeviceVideoDecoder> decoder_;
  Tensor input_;
  int batch_, stride_;
  bool host_pixels_;
  FrameKind kind_;
  DeviceVideoFrame first_;
  bool primed_ = false, flushed_ = false;
  int64_t decoded_ = 0, produced_ = 0;
};
#endif

}  // namespace

NvdecSourceResult open_nvdec_source(const std::string& url, Detector& detector, int vid_stride,
                                    bool host_pixels, std::string_view requested) {
  check_vid_stride(vid_stride);
  if (!detector.uses_gpu_pipeline())
    return {nullptr, cpu_note(requested,
                              "NVDEC feeds the GPU pipeline's input, and this detector has none "
                              "(a CUDA device with gpu_pipeline=True)")};
  Backend& backend = detector.executor().backend();
  return open_device_video_source(
      url, [&backend](DeviceVideoCodec codec) { return make_device_video_decoder(backend, codec); },
      detector.device_input(), vid_stride, host_pixels, requested);
}

NvdecSourceResult open_device_video_source(const std::string& url,
                                           const DeviceDecoderFactory& make_decoder,
                                           const Tensor& input, int vid_stride, bool host_pixels,
                                           std::string_view requested) {
  check_vid_stride(vid_stride);
  if (input.dtype() != DType::kFloat32 || input.rank() != 4 || input.dim(1) != 3)
    fail(ErrorKind::kInvalidArgument, "a device video source needs a float32 [B, 3, H, W] input, ",
         "got ", dtype_name(input.dtype()), " ", shape_str(input.shape()));
#ifdef YS_HAVE_LIBAV
  try {
    auto demux = std::make_unique<Demuxer>(url);
    if (!nvdec_can_decode(demux->info().codec)) {
      std::string note = nvdec_codec_fallback_note(url, demux->info());
      return {nullptr, requested == "nvdec" ? note : ""};
    }
    std::unique_ptr<DeviceVideoDecoder> decoder = make_decoder(device_codec(demux->info().codec));
    if (!decoder)
      return {nullptr, cpu_note(requested, "the detector's backend has no video decoder")};
    auto source = std::make_unique<NvdecSource>(url, std::move(demux), std::move(decoder), input,
                                                vid_stride, host_pixels);
    source->prime();
    return {std::move(source), ""};
  } catch (const Error& e) {
    // Unsupported here (driver, profile, bit depth), or a file the demuxer cannot read: the CPU
    // decoder opens the source next and says what is wrong with the file in its own words.
    return {nullptr, cpu_note(requested, e.what())};
  }
#else
  (void)url;
  (void)make_decoder;
  (void)host_pixels;
  return {nullptr, cpu_note(requested,
                            "this build has no libavformat to demux it (Debian libavformat-dev)")};
#endif
}

}  // namespace ys
