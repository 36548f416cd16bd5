// The host side of GPU video decoding (issue 20): libavformat opens a file or stream URL and
// yields the compressed packets of its first video stream, with timestamps, and nothing is
// decoded. H.264 and H.265 from MP4 or MKV come out as Annex B (start codes, parameter sets
// in-band) through FFmpeg's mp4toannexb bitstream filters, which is what NVDEC's parser reads.
// Any other codec passes through as stored; `nvdec_can_decode` says whether NVDEC could take it.
// Built only where Debian's libavformat-dev and libavcodec-dev are found (YS_HAVE_LIBAV).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ys {

enum class VideoCodec { kH264, kHevc, kAv1, kVp9, kOther };

struct VideoStreamInfo {
  VideoCodec codec = VideoCodec::kOther;
  std::string codec_name;       // FFmpeg's short name, e.g. "h264", "msmpeg4v3"
  std::string codec_long_name;  // e.g. "MPEG-4 part 2 Microsoft variant version 3"
  int width = 0;
  int height = 0;
  double frame_rate = 0;  // 0 where the container does not say
  // Packets the container declares (MP4's sample table, AVI's index); 0 where unknown (streams).
  int64_t declared_packets = 0;
};

struct VideoPacket {
  std::vector<uint8_t> data;  // Annex B for H.264 and H.265, else as stored
  int64_t index = 0;          // 0-based, in demux order
  int64_t pts = 0;            // in time_base units; INT64_MIN where the container has none
  int64_t dts = 0;
  double seconds = 0;  // pts (dts where no pts) in seconds
  bool keyframe = false;
};

// One open input. Not copyable; closes everything it opened when destroyed.
class Demuxer {
 public:
  // Messages count packets from 1. Throws ys::Error: kNotFound (no such file), kBadInput (not a
  // container FFmpeg reads, or no video stream).
  explicit Demuxer(const std::string& url);
  ~Demuxer();
  Demuxer(const Demuxer&) = delete;
  Demuxer& operator=(const Demuxer&) = delete;

  const VideoStreamInfo& info() const;
  // The next packet, or nullopt at the end. Throws ys::Error(kBadInput) for a packet the
  // bitstream filter rejects (corrupt data: the message names the packet and its time; calling
  // next() again goes on with the packet after it) and, once, at the end of a stream that stops
  // before the packets its container declares (a file cut short).
  std::optional<VideoPacket> next();
  // Packets next() has returned so far.
  int64_t packets_read() const;
  // From any thread: a next() waiting on the network (a stalled stream URL) gives up soon and
  // returns nullopt, as does every later one.
  void interrupt();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Whether NVDEC has a decoder for the codec at all (H.264, H.265, AV1, VP9); whether a given
// GPU supports a given profile is asked of the driver at decode time.
bool nvdec_can_decode(VideoCodec codec);

// The one line printed when falling back to the CPU for the codec, e.g. "decoder=nvdec: vtest.avi
// is msmpeg4v3 (MPEG-4 part 2 Microsoft variant version 3), which NVDEC cannot decode; decoding
// on the CPU".
std::string nvdec_codec_fallback_note(const std::string& source, const VideoStreamInfo& info);

}  // namespace ys
