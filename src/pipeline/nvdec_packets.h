// The compressed packets decoder=nvdec feeds to a device decoder (issue 20), one picture each,
// from either reader: a raw Annex B file (.h264, .h265, ...: pipeline/annexb_reader.h, no FFmpeg
// needed, so it runs on the GPU machine) or any container or stream URL through libavformat
// (pipeline/demuxer.h, where the build has it). Raw streams carry no timestamps: their frames are
// placed at index / frame rate instead.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/device_video.h"

namespace ys {

struct CodedPacket {
  std::vector<uint8_t> data;  // Annex B for H.264 and H.265
  int64_t pts_us = 0;         // media time in microseconds; a raw stream's packet index
  int64_t number = 0;         // 1-based, in file order, for messages
  double seconds = 0;         // media time, for messages (containers only)
  int64_t byte_offset = -1;   // where a raw stream's unit starts; -1 for demuxed packets
};

struct PacketStreamInfo {
  DeviceVideoCodec codec = DeviceVideoCodec::kH264;
  std::string codec_name;  // "h264", "hevc", ... as FFmpeg names them
  int width = 0, height = 0;
  double frame_rate = 0;   // 0 where unknown
  int64_t frames = 0;      // declared or counted; 0 where unknown (streams)
  bool timestamps = true;  // packets carry media time (false: a raw stream)
  bool live = false;       // a stream URL, not a file
  std::string container;   // "Annex B" for raw streams, else empty
};

class PacketReader {
 public:
  virtual ~PacketReader() = default;
  const PacketStreamInfo& info() const { return info_; }
  // The next packet; nullopt at the end or once interrupted. Throws ys::Error(kBadInput) for one
  // damaged packet (the next call goes on after it) and kIo where the input cannot be read.
  virtual std::optional<CodedPacket> next() = 0;
  // From any thread: a next() blocked on the network gives up soon. Files never block long.
  virtual void interrupt() {}
  // "<url>: packet 5 at 0.3 s" or "<url>: access unit 5 (byte 1234)", for messages.
  std::string name(const CodedPacket& p) const;

 protected:
  PacketReader(std::string url, PacketStreamInfo info)
      : url_(std::move(url)), info_(std::move(info)) {}
  std::string url_;
  PacketStreamInfo info_;
};

// A raw Annex B file. Throws ys::Error naming the file and why (pipeline/annexb_reader.h).
std::unique_ptr<PacketReader> open_annexb_packets(const std::string& path);

struct DemuxedPackets {
  std::unique_ptr<PacketReader> reader;  // nullptr where NVDEC cannot decode the codec
  std::string note;                      // then the line that says so, for decoder=nvdec
};
// Any container or stream URL through libavformat. Throws ys::Error where the demuxer cannot open
// it, or (kUnsupported) where this build has no libavformat.
DemuxedPackets open_demuxed_packets(const std::string& url);

}  // namespace ys
