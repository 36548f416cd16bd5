// Timestamps travel through NVDEC's parser as microseconds of media time: it hands each frame the
// value of the packet its picture began in, and display order differs from decode order. A raw
// Annex B stream has none: its frames are placed at index / frame rate.
#include "pipeline/nvdec_source.h"

#include <optional>

#include "backends/backend_registry.h"
#include "core/error.h"
#include "pipeline/annexb_reader.h"
#include "pipeline/letterbox.h"
#include "pipeline/nvdec_ahead.h"
#include "pipeline/nvdec_packets.h"

namespace ys {
namespace {

std::string cpu_note(std::string_view requested, const std::string& why) {
  if (requested != "nvdec") return {};
  return cat("decoder=", requested, ": ", why, "; decoding on the CPU");
}

class NvdecSource final : public Source {
 public:
  NvdecSource(std::string url, std::unique_ptr<DecodeAhead> ahead, const Tensor& input, int stride,
              bool host_pixels, std::vector<std::string> skipped)
      : url_(std::move(url)),
        ahead_(std::move(ahead)),
        input_(input),
        batch_(static_cast<int>(input.dim(0))),
        stride_(stride),
        host_pixels_(host_pixels),
        kind_(ahead_->info().live ? FrameKind::kStream : FrameKind::kVideo) {
    for (std::string& s : skipped) report(std::move(s));
  }

  bool next(Frame& frame) override {
    DeviceVideoFrame f;
    std::vector<std::string> skipped;
    for (;;) {
      bool got = false;
      try {
        got = ahead_->next(f, skipped);
      } catch (...) {
        report_all(skipped);
        throw;
      }
      report_all(skipped);
      if (!got) return false;
      const int64_t index = decoded_++;
      if (index % stride_ != 0) continue;  // decoded (later frames refer to it), not letterboxed
      const int slot = static_cast<int>(produced_++ % batch_);
      const LetterboxInfo g = letterbox_geometry(f.width, f.height, static_cast<int>(input_.dim(3)),
                                                 static_cast<int>(input_.dim(2)));
      ahead_->letterbox({g.resized_width, g.resized_height, g.pad_left, g.pad_top}, input_, slot);
      const PacketStreamInfo& i = ahead_->info();
      frame = Frame{};
      frame.source = url_;
      frame.kind = kind_;
      frame.index = index;
      frame.timestamp_s = i.timestamps       ? static_cast<double>(f.pts) / 1e6
                          : i.frame_rate > 0 ? static_cast<double>(index) / i.frame_rate
                                             : 0;
      frame.device_slot = slot;
      frame.device_width = f.width;
      frame.device_height = f.height;
      if (host_pixels_) frame.image = ahead_->download_bgr();
      return true;
    }
  }

  std::string describe() const override {
    const PacketStreamInfo& i = ahead_->info();
    return cat(kind_ == FrameKind::kVideo ? "video " : "stream ", url_, " (",
               i.frames > 0 ? cat(i.frames, " frames, ") : std::string(), i.width, "x", i.height,
               ", ", i.frame_rate, " fps; ", i.codec_name,
               i.container.empty() ? std::string() : " " + i.container, " decoded by NVDEC)");
  }

  // One packet a frame in the H.264/H.265 streams NVDEC takes (pictures, for raw streams).
  std::optional<int64_t> size() const override {
    const PacketStreamInfo& i = ahead_->info();
    if (kind_ != FrameKind::kVideo || i.frames <= 0) return std::nullopt;
    return i.frames;
  }

  void cancel() override { ahead_->cancel(); }

 private:
  void report_all(std::vector<std::string>& skipped) {
    for (std::string& s : skipped) report(std::move(s));
    skipped.clear();
  }

  std::string url_;
  std::unique_ptr<DecodeAhead> ahead_;
  Tensor input_;
  int batch_, stride_;
  bool host_pixels_;
  FrameKind kind_;
  int64_t decoded_ = 0, produced_ = 0;
};

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
  try {
    std::unique_ptr<PacketReader> packets;
    if (is_annexb_path(url)) {
      packets = open_annexb_packets(url);
    } else {
      DemuxedPackets demuxed = open_demuxed_packets(url);
      if (!demuxed.reader) return {nullptr, requested == "nvdec" ? demuxed.note : ""};
      packets = std::move(demuxed.reader);
    }
    std::unique_ptr<DeviceVideoDecoder> decoder = make_decoder(packets->info().codec);
    if (!decoder)
      return {nullptr, cpu_note(requested, "the detector's backend has no video decoder")};
    auto ahead = std::make_unique<DecodeAhead>(std::move(packets), std::move(decoder));
    std::vector<std::string> skipped;
    ahead->open(skipped);
    return {std::make_unique<NvdecSource>(url, std::move(ahead), input, vid_stride, host_pixels,
                                          std::move(skipped)),
            ""};
  } catch (const Error& e) {
    // Unsupported here (driver, profile, bit depth, no demuxer in this build), or a file the
    // readers cannot read: the CPU decoder opens the source next and says what is wrong with the
    // file in its own words.
    return {nullptr, cpu_note(requested, e.what())};
  }
}

}  // namespace ys
