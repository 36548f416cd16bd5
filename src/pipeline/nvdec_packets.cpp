#include "pipeline/nvdec_packets.h"

#include <cmath>

#include "core/error.h"
#include "pipeline/annexb_reader.h"

#ifdef YS_HAVE_LIBAV
#include "pipeline/demuxer.h"
#endif

namespace ys {
namespace {

class AnnexbPackets final : public PacketReader {
 public:
  AnnexbPackets(const std::string& path, std::unique_ptr<AnnexbReader> reader)
      : PacketReader(path, info_of(*reader)), reader_(std::move(reader)) {}

  std::optional<CodedPacket> next() override {
    AccessUnit u;
    if (!reader_->next(u)) return std::nullopt;
    CodedPacket p;
    p.data = std::move(u.data);
    p.pts_us = u.index;
    p.number = u.index + 1;
    p.byte_offset = u.offset;
    return p;
  }

 private:
  static PacketStreamInfo info_of(const AnnexbReader& r) {
    const AnnexbInfo& a = r.info();
    PacketStreamInfo i;
    const bool h264 = a.codec == AnnexbCodec::kH264;
    i.codec = h264 ? DeviceVideoCodec::kH264 : DeviceVideoCodec::kHevc;
    i.codec_name = h264 ? "h264" : "hevc";
    i.width = a.sequence.width;
    i.height = a.sequence.height;
    i.frame_rate = a.sequence.frame_rate;
    i.frames = a.access_units;
    i.timestamps = false;
    i.container = "Annex B";
    return i;
  }

  std::unique_ptr<AnnexbReader> reader_;
};

#ifdef YS_HAVE_LIBAV
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

class DemuxerPackets final : public PacketReader {
 public:
  DemuxerPackets(const std::string& url, std::unique_ptr<Demuxer> demux)
      : PacketReader(url, info_of(url, demux->info())), demux_(std::move(demux)) {}

  std::optional<CodedPacket> next() override {
    std::optional<VideoPacket> v = demux_->next();
    if (!v) return std::nullopt;
    CodedPacket p;
    p.data = std::move(v->data);
    p.pts_us = std::llround(v->seconds * 1e6);
    p.number = v->index + 1;
    p.seconds = v->seconds;
    return p;
  }

  void interrupt() override { demux_->interrupt(); }

 private:
  static PacketStreamInfo info_of(const std::string& url, const VideoStreamInfo& v) {
    PacketStreamInfo i;
    i.codec = device_codec(v.codec);
    i.codec_name = v.codec_name;
    i.width = v.width;
    i.height = v.height;
    i.frame_rate = v.frame_rate;
    i.frames = v.declared_packets;
    i.live = url.find("://") != std::string::npos;
    return i;
  }

  std::unique_ptr<Demuxer> demux_;
};
#endif

}  // namespace

std::string PacketReader::name(const CodedPacket& p) const {
  if (p.byte_offset >= 0)
    return cat(url_, ": access unit ", p.number, " (byte ", p.byte_offset, ")");
  return cat(url_, ": packet ", p.number, " at ", p.seconds, " s");
}

std::unique_ptr<PacketReader> open_annexb_packets(const std::string& path) {
  return std::make_unique<AnnexbPackets>(path, std::make_unique<AnnexbReader>(path));
}

DemuxedPackets open_demuxed_packets(const std::string& url) {
#ifdef YS_HAVE_LIBAV
  auto demux = std::make_unique<Demuxer>(url);
  if (!nvdec_can_decode(demux->info().codec))
    return {nullptr, nvdec_codec_fallback_note(url, demux->info())};
  return {std::make_unique<DemuxerPackets>(url, std::move(demux)), ""};
#else
  fail(ErrorKind::kUnsupported, "this build has no libavformat to demux ", url,
       " (Debian libavformat-dev; raw .h264/.h265 streams need none)");
#endif
}

}  // namespace ys
