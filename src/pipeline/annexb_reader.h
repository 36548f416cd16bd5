// Raw H.264 and H.265 elementary streams (issue 20): a .h264/.264/.h265/.265/.hevc file in
// Annex B form (NAL units after 00 00 01 start codes, parameter sets in-band), read without a
// demuxer so that decoder=nvdec runs where FFmpeg's libraries are absent (the GPU machine):
// NVDEC's own parser takes the bytes as they are. The file is cut into access units, one coded
// picture with the parameter sets and SEI before it, so that each push to the decoder holds one
// picture as a demuxed packet does. NVDEC decodes every picture of a push before its consumer can
// map any, so a decoder that runs ahead bounds the pictures in flight by counting pushes
// (pipeline/nvdec_source.h); cutting fixed-size chunks would hand it any number at once. The codec
// comes from the extension and is confirmed by the parameter sets before the first picture, which
// also give the size and frame rate. Raw streams carry no timestamps: frame n is at n / rate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/annexb_sps.h"

namespace ys {

struct AnnexbInfo {
  AnnexbCodec codec = AnnexbCodec::kH264;
  SequenceInfo sequence;     // from the first sequence parameter set
  int64_t access_units = 0;  // the coded pictures in the file (frames; fields of interlaced ones)
};

struct AccessUnit {
  std::vector<uint8_t> data;  // start codes included
  int64_t index = 0;          // 0-based, in decode order
  int64_t offset = 0;         // of its first byte in the file
  bool picture = false;       // holds a coded slice (a trailing end-of-stream unit may not)
};

// Whether the extension names an Annex B file (case-insensitive): .h264, .264, .h265, .265, .hevc.
bool is_annexb_path(const std::string& path);

// One open file. Opening reads the file once to count its pictures (about 1 ms a few MB).
class AnnexbReader {
 public:
  // Throws ys::Error: kNotFound (no such file), kIo (unreadable), kBadInput naming the file and
  // why: empty, not Annex B (no start code at its start; an MP4 or Matroska file says so), the
  // other codec than its extension says, no sequence parameter set before its first picture, or
  // one that cannot be read.
  explicit AnnexbReader(const std::string& path);
  ~AnnexbReader();
  AnnexbReader(const AnnexbReader&) = delete;
  AnnexbReader& operator=(const AnnexbReader&) = delete;

  const std::string& path() const { return path_; }
  const AnnexbInfo& info() const { return info_; }
  // The next access unit in file order; false at the end. Throws kIo where the file cannot be
  // read any more. A file cut short ends with its last, partial unit: NVDEC's parser decides
  // what of it decodes.
  bool next(AccessUnit& out);

 private:
  bool fill();
  size_t start_code_at_or_after(size_t from);
  void scan(AnnexbCodec claimed);

  std::string path_;
  int fd_ = -1;
  AnnexbInfo info_;
  std::vector<uint8_t> buf_;
  int64_t buf_offset_ = 0;  // file offset of buf_[0]
  size_t unit_ = 0;         // in buf_: the start of the next access unit
  int64_t index_ = 0;
  bool eof_ = false, done_ = false;
};

}  // namespace ys
