// libavformat for the container, libavcodec only for the mp4toannexb bitstream filters: no
// frame is decoded here. Every FFmpeg object has its own unique_ptr with FFmpeg's free function.
#include "pipeline/demuxer.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <filesystem>

#include "core/error.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/log.h>
}

namespace ys {
namespace {

struct FormatCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct BsfFree {
  void operator()(AVBSFContext* b) const { av_bsf_free(&b); }
};
using FormatPtr = std::unique_ptr<AVFormatContext, FormatCloser>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;
using BsfPtr = std::unique_ptr<AVBSFContext, BsfFree>;

std::string av_message(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

VideoCodec codec_of(AVCodecID id) {
  switch (id) {
    case AV_CODEC_ID_H264:
      return VideoCodec::kH264;
    case AV_CODEC_ID_HEVC:
      return VideoCodec::kHevc;
    case AV_CODEC_ID_AV1:
      return VideoCodec::kAv1;
    case AV_CODEC_ID_VP9:
      return VideoCodec::kVp9;
    default:
      return VideoCodec::kOther;
  }
}

// MP4 and MKV store H.264/H.265 with length prefixes and the parameter sets out of band; NVDEC's
// parser wants start codes. The filters pass Annex B input (a .264 file, MPEG-TS) through as is.
const char* annexb_filter(AVCodecID id) {
  if (id == AV_CODEC_ID_H264) return "h264_mp4toannexb";
  if (id == AV_CODEC_ID_HEVC) return "hevc_mp4toannexb";
  return nullptr;
}

}  // namespace

struct Demuxer::State {
  std::string url;
  FormatPtr format;
  BsfPtr bsf;
  PacketPtr packet{av_packet_alloc()};
  int stream = -1;
  AVRational time_base{1, 1};
  VideoStreamInfo info;
  int64_t read = 0;
  int64_t demuxed = 0;  // packets of our stream taken from the container, corrupt ones too
  bool ended = false;
  std::atomic<bool> interrupted{false};

  // FFmpeg polls this during blocking I/O; non-zero makes the read return AVERROR_EXIT.
  static int interrupt_cb(void* self) {
    return static_cast<State*>(self)->interrupted.load(std::memory_order_relaxed) ? 1 : 0;
  }

  VideoPacket take(const AVPacket& p) {
    VideoPacket out;
    out.data.assign(p.data, p.data + p.size);
    out.index = read++;
    out.pts = p.pts == AV_NOPTS_VALUE ? INT64_MIN : p.pts;
    out.dts = p.dts == AV_NOPTS_VALUE ? INT64_MIN : p.dts;
    const int64_t t = p.pts != AV_NOPTS_VALUE ? p.pts : p.dts;
    out.seconds = t == AV_NOPTS_VALUE ? 0 : static_cast<double>(t) * av_q2d(time_base);
    out.keyframe = (p.flags & AV_PKT_FLAG_KEY) != 0;
    return out;
  }

  std::string where(const AVPacket& p) const {
    const int64_t t = p.pts != AV_NOPTS_VALUE ? p.pts : p.dts;
    std::string at = cat(url, ": video packet ", demuxed);
    if (t != AV_NOPTS_VALUE) at += cat(" (at ", static_cast<double>(t) * av_q2d(time_base), " s)");
    return at;
  }

  // The state stays valid: the next call goes on with the packet after this one.
  [[noreturn]] static void corrupt(const std::string& at, const std::string& reason) {
    fail(ErrorKind::kBadInput, at, " is corrupt: ", reason, "; skipped");
  }

  // The end of the container: a stream cut short says so once, then the end is the end.
  std::optional<VideoPacket> end() {
    const bool short_stream =
        !ended && info.declared_packets > 0 && demuxed < info.declared_packets;
    ended = true;
    if (short_stream)
      fail(ErrorKind::kBadInput, url, ": the video stream ends early, after ", demuxed, " of the ",
           info.declared_packets, " packets its container declares (is the file cut short?)");
    return std::nullopt;
  }
};

Demuxer::Demuxer(const std::string& url) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.url = url;
  // FFmpeg would print its own warnings for every damaged packet; ours name the file instead.
  av_log_set_level(AV_LOG_QUIET);
  const bool is_url = url.find("://") != std::string::npos;
  if (!is_url && !std::filesystem::exists(url))
    fail(ErrorKind::kNotFound, url, ": no such video file");
  YS_CHECK(s.packet != nullptr);

  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) fail(ErrorKind::kOutOfMemory, url, ": cannot allocate a demuxer");
  raw->interrupt_callback = {&State::interrupt_cb, &s};
  // On failure avformat_open_input frees the context and sets raw to nullptr.
  if (int err = avformat_open_input(&raw, url.c_str(), nullptr, nullptr); err < 0)
    fail(ErrorKind::kBadInput, url, ": cannot open as a video: ", av_message(err));
  s.format.reset(raw);
  if (int err = avformat_find_stream_info(s.format.get(), nullptr); err < 0)
    fail(ErrorKind::kBadInput, url, ": cannot read the stream information: ", av_message(err));
  s.stream = av_find_best_stream(s.format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (s.stream < 0) fail(ErrorKind::kBadInput, url, ": has no video stream");

  const AVStream* st = s.format->streams[s.stream];
  const AVCodecParameters* par = st->codecpar;
  s.time_base = st->time_base;
  s.info.codec = codec_of(par->codec_id);
  s.info.codec_name = avcodec_get_name(par->codec_id);
  if (const AVCodecDescriptor* d = avcodec_descriptor_get(par->codec_id); d && d->long_name)
    s.info.codec_long_name = d->long_name;
  s.info.width = par->width;
  s.info.height = par->height;
  const AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
  s.info.frame_rate = rate.num && rate.den ? av_q2d(rate) : 0;
  s.info.declared_packets = st->nb_frames > 0 ? st->nb_frames : 0;

  if (const char* name = annexb_filter(par->codec_id)) {
    const AVBitStreamFilter* filter = av_bsf_get_by_name(name);
    if (!filter) fail(ErrorKind::kUnsupported, url, ": this FFmpeg has no ", name, " filter");
    AVBSFContext* bsf = nullptr;
    if (int err = av_bsf_alloc(filter, &bsf); err < 0)
      fail(ErrorKind::kOutOfMemory, url, ": ", name, ": ", av_message(err));
    s.bsf.reset(bsf);
    avcodec_parameters_copy(bsf->par_in, par);
    bsf->time_base_in = st->time_base;
    if (int err = av_bsf_init(bsf); err < 0)
      fail(ErrorKind::kBadInput, url, ": ", name,
           " cannot read the stream's parameter sets: ", av_message(err));
  }
}

Demuxer::~Demuxer() = default;

const VideoStreamInfo& Demuxer::info() const {
  return state_->info;
}

int64_t Demuxer::packets_read() const {
  return state_->read;
}

void Demuxer::interrupt() {
  state_->interrupted.store(true, std::memory_order_relaxed);
}

std::optional<VideoPacket> Demuxer::next() {
  State& s = *state_;
  AVPacket* p = s.packet.get();
  while (!s.ended) {
    if (s.interrupted.load(std::memory_order_relaxed)) return std::nullopt;
    av_packet_unref(p);
    if (int err = av_read_frame(s.format.get(), p); err < 0) {
      if (err == AVERROR_EXIT) return std::nullopt;  // interrupt()
      if (err == AVERROR_EOF || err == AVERROR(EIO) || avio_feof(s.format->pb)) return s.end();
      fail(ErrorKind::kBadInput, s.url, ": cannot read the container after ", s.demuxed,
           " video packets: ", av_message(err));
    }
    if (p->stream_index != s.stream) continue;
    ++s.demuxed;
    if (p->flags & AV_PKT_FLAG_CORRUPT)
      State::corrupt(s.where(*p), "the container marks it damaged");
    if (!s.bsf) return s.take(*p);

    // mp4toannexb gives one packet out for each packet in; it rejects length prefixes that run
    // past the packet, which is how damage inside an MP4's samples shows here.
    const std::string at = s.where(*p);
    int err = av_bsf_send_packet(s.bsf.get(), p);
    if (err >= 0) err = av_bsf_receive_packet(s.bsf.get(), p);
    if (err == AVERROR(EAGAIN)) continue;
    if (err < 0) {
      av_bsf_flush(s.bsf.get());
      State::corrupt(at, cat(s.bsf->filter->name, ": ", av_message(err)));
    }
    return s.take(*p);
  }
  return std::nullopt;
}

bool nvdec_can_decode(VideoCodec codec) {
  return codec != VideoCodec::kOther;
}

std::string nvdec_codec_fallback_note(const std::string& source, const VideoStreamInfo& info) {
  const std::string name = std::filesystem::path(source).filename().string();
  std::string codec = info.codec_name;
  if (!info.codec_long_name.empty()) codec += cat(" (", info.codec_long_name, ")");
  return cat("decoder=nvdec: ", name.empty() ? source : name, " is ", codec,
             ", which NVDEC cannot decode; decoding on the CPU");
}

}  // namespace ys
