// The sequence parameter sets of H.264 and H.265 (issue 20), read far enough to learn what a raw
// Annex B file holds before anything decodes it: the picture size after cropping, the bit depth,
// the chroma format and the frame rate that the VUI's timing declares. Used by the Annex B reader
// (pipeline/annexb_reader.h), which has no demuxer to ask.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ys {

enum class AnnexbCodec { kH264, kHevc };

struct SequenceInfo {
  int profile_idc = 0;  // 100 High, 77 Main, ... (H.264); 1 Main, 2 Main 10, ... (H.265)
  int width = 0;        // the display area, cropping applied
  int height = 0;
  int bit_depth = 8;      // of luma
  int chroma_format = 1;  // 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4
  double frame_rate = 0;  // from the VUI's timing information; 0 where it has none
};

// `nal` is one NAL unit without its start code: the header bytes, then the payload with its
// emulation-prevention bytes still in. Throws ys::Error(kBadInput) with the reason ("it ends
// inside its ...", "a value out of range") where the unit is not a readable SPS.
SequenceInfo parse_sps(AnnexbCodec codec, const uint8_t* nal, size_t size);

// "H.264" or "H.265".
const char* annexb_codec_name(AnnexbCodec codec);

}  // namespace ys
