// The syntax follows ITU-T H.264 7.3.2.1.1 with E.1.1 (VUI) and ITU-T H.265 7.3.2.2 with 7.3.3
// (profile_tier_level), 7.3.4 (scaling lists), 7.3.7 (short-term reference picture sets) and E.2.1
// (VUI). Every field before the timing information is read, even those thrown away, because the
// fields are variable-length and each one moves the next.
#include "pipeline/annexb_sps.h"

#include <algorithm>
#include <vector>

#include "core/error.h"

namespace ys {
namespace {

// Reads bits of an RBSP (the payload with emulation prevention removed); running past its end is
// the SPS's fault, said once by the caller.
class Bits {
 public:
  explicit Bits(std::vector<uint8_t> rbsp) : rbsp_(std::move(rbsp)) {}

  uint32_t u(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      if (pos_ >= rbsp_.size() * 8) fail(ErrorKind::kBadInput, "it ends early");
      v = (v << 1) | ((rbsp_[pos_ / 8] >> (7 - pos_ % 8)) & 1u);
      ++pos_;
    }
    return v;
  }
  bool flag() { return u(1) != 0; }
  void skip(int n) {
    for (; n > 32; n -= 32) u(32);
    u(n);
  }
  // Exp-Golomb codes: at most 31 leading zeros make a 32-bit value.
  uint32_t ue() {
    int zeros = 0;
    while (u(1) == 0)
      if (++zeros > 31) fail(ErrorKind::kBadInput, "an Exp-Golomb code is too long");
    return static_cast<uint32_t>((uint64_t{1} << zeros) - 1 + u(zeros));
  }
  int32_t se() {
    const uint32_t k = ue();
    return (k & 1) ? static_cast<int32_t>((k + 1) / 2) : -static_cast<int32_t>(k / 2);
  }
  // A count that sizes later loops: bounded, so a damaged SPS cannot spin for long.
  uint32_t ue_max(uint32_t max, const char* what) {
    const uint32_t v = ue();
    if (v > max) fail(ErrorKind::kBadInput, what, " is ", v, ", more than ", max);
    return v;
  }

 private:
  std::vector<uint8_t> rbsp_;
  size_t pos_ = 0;
};

std::vector<uint8_t> unescape(const uint8_t* p, size_t n) {
  std::vector<uint8_t> out;
  out.reserve(n);
  int zeros = 0;
  for (size_t i = 0; i < n; ++i) {
    if (zeros >= 2 && p[i] == 3) {  // 00 00 03: the 03 is not data
      zeros = 0;
      continue;
    }
    out.push_back(p[i]);
    zeros = p[i] == 0 ? zeros + 1 : 0;
  }
  return out;
}

// The width and height of the chroma samples per luma sample, for cropping (SubWidthC/SubHeightC).
int sub_width(int chroma_format) {
  return chroma_format == 1 || chroma_format == 2 ? 2 : 1;
}
int sub_height(int chroma_format) {
  return chroma_format == 1 ? 2 : 1;
}

void skip_h264_scaling_list(Bits& b, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size; ++j) {
    if (next != 0) next = (last + b.se() + 256) % 256;
    last = next == 0 ? last : next;
  }
}

// H.264 E.1.1 up to the timing information; num_units_in_tick counts fields.
double h264_vui_frame_rate(Bits& b) {
  if (b.flag() && b.u(8) == 255) b.skip(32);  // aspect_ratio_idc, Extended_SAR
  if (b.flag()) b.skip(1);                    // overscan
  if (b.flag()) {                             // video signal type
    b.skip(4);
    if (b.flag()) b.skip(24);  // colour description
  }
  if (b.flag()) {  // chroma sample location
    b.ue();
    b.ue();
  }
  if (!b.flag()) return 0;
  const uint32_t ticks = b.u(32), scale = b.u(32);
  return ticks > 0 ? static_cast<double>(scale) / (2.0 * ticks) : 0;
}

SequenceInfo parse_h264(Bits& b) {
  SequenceInfo s;
  s.profile_idc = static_cast<int>(b.u(8));
  b.skip(16);  // constraint flags, level_idc
  b.ue_max(31, "seq_parameter_set_id");
  bool separate_planes = false;
  static constexpr int kHighProfiles[] = {100, 110, 122, 244, 44,  83, 86,
                                          118, 128, 138, 139, 134, 135};
  if (std::find(std::begin(kHighProfiles), std::end(kHighProfiles), s.profile_idc) !=
      std::end(kHighProfiles)) {
    s.chroma_format = static_cast<int>(b.ue_max(3, "chroma_format_idc"));
    if (s.chroma_format == 3) separate_planes = b.flag();
    s.bit_depth = 8 + static_cast<int>(b.ue_max(6, "bit_depth_luma_minus8"));
    b.ue_max(6, "bit_depth_chroma_minus8");
    b.skip(1);  // qpprime_y_zero_transform_bypass_flag
    if (b.flag()) {
      const int lists = s.chroma_format != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i)
        if (b.flag()) skip_h264_scaling_list(b, i < 6 ? 16 : 64);
    }
  }
  b.ue_max(12, "log2_max_frame_num_minus4");
  const uint32_t poc_type = b.ue_max(2, "pic_order_cnt_type");
  if (poc_type == 0) {
    b.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4");
  } else if (poc_type == 1) {
    b.skip(1);
    b.se();
    b.se();
    const uint32_t cycle = b.ue_max(255, "num_ref_frames_in_pic_order_cnt_cycle");
    for (uint32_t i = 0; i < cycle; ++i) b.se();
  }
  b.ue();     // max_num_ref_frames
  b.skip(1);  // gaps_in_frame_num_value_allowed_flag
  const uint32_t width_mbs = b.ue_max(1024, "pic_width_in_mbs_minus1") + 1;
  const uint32_t height_units = b.ue_max(1024, "pic_height_in_map_units_minus1") + 1;
  const bool frame_mbs_only = b.flag();
  if (!frame_mbs_only) b.skip(1);  // mb_adaptive_frame_field_flag
  b.skip(1);                       // direct_8x8_inference_flag
  int crop_x = 0, crop_y = 0;
  if (b.flag()) {
    const int array_type = separate_planes ? 0 : s.chroma_format;
    const int unit_x = array_type == 0 ? 1 : sub_width(array_type);
    const int unit_y = (array_type == 0 ? 1 : sub_height(array_type)) * (frame_mbs_only ? 1 : 2);
    crop_x = unit_x * static_cast<int>(b.ue_max(8192, "frame_crop_left_offset") +
                                       b.ue_max(8192, "frame_crop_right_offset"));
    crop_y = unit_y * static_cast<int>(b.ue_max(8192, "frame_crop_top_offset") +
                                       b.ue_max(8192, "frame_crop_bottom_offset"));
  }
  s.width = static_cast<int>(width_mbs) * 16 - crop_x;
  s.height = static_cast<int>(height_units) * 16 * (frame_mbs_only ? 1 : 2) - crop_y;
  if (b.flag()) s.frame_rate = h264_vui_frame_rate(b);
  return s;
}

void skip_h265_profile_tier_level(Bits& b, int max_sub_layers_minus1, int& profile_idc) {
  b.skip(3);  // general_profile_space, general_tier_flag
  profile_idc = static_cast<int>(b.u(5));
  b.skip(32 + 4 + 43 + 1 + 8);  // compatibility flags, source flags, reserved, level_idc
  bool profile_present[8] = {}, level_present[8] = {};
  for (int i = 0; i < max_sub_layers_minus1; ++i) {
    profile_present[i] = b.flag();
    level_present[i] = b.flag();
  }
  if (max_sub_layers_minus1 > 0)
    for (int i = max_sub_layers_minus1; i < 8; ++i) b.skip(2);
  for (int i = 0; i < max_sub_layers_minus1; ++i) {
    if (profile_present[i]) b.skip(88);
    if (level_present[i]) b.skip(8);
  }
}

void skip_h265_scaling_list_data(Bits& b) {
  for (int size_id = 0; size_id < 4; ++size_id) {
    for (int matrix = 0; matrix < 6; matrix += size_id == 3 ? 3 : 1) {
      if (!b.flag()) {
        b.ue();  // scaling_list_pred_matrix_id_delta
        continue;
      }
      const int coefs = std::min(64, 1 << (4 + (size_id << 1)));
      if (size_id > 1) b.se();  // scaling_list_dc_coef_minus8
      for (int i = 0; i < coefs; ++i) b.se();
    }
  }
}

// st_ref_pic_set(idx) in an SPS; `deltas` holds NumDeltaPocs of the sets before it, which a set
// predicted from the previous one needs.
void skip_h265_st_ref_pic_set(Bits& b, size_t idx, std::vector<uint32_t>& deltas) {
  if (idx > 0 && b.flag()) {  // inter_ref_pic_set_prediction_flag
    b.skip(1);                // delta_rps_sign
    b.ue();                   // abs_delta_rps_minus1
    uint32_t n = 0;
    for (uint32_t j = 0; j <= deltas[idx - 1]; ++j) {
      const bool used = b.flag();
      if (used || b.flag()) ++n;  // use_delta_flag, 1 where absent
    }
    deltas.push_back(n);
    return;
  }
  const uint32_t negative = b.ue_max(16, "num_negative_pics");
  const uint32_t positive = b.ue_max(16, "num_positive_pics");
  for (uint32_t i = 0; i < negative + positive; ++i) {
    b.ue();     // delta_poc_s*_minus1
    b.skip(1);  // used_by_curr_pic_s*_flag
  }
  deltas.push_back(negative + positive);
}

// H.265 E.2.1 up to the timing information; num_units_in_tick counts pictures.
double h265_vui_frame_rate(Bits& b) {
  if (b.flag() && b.u(8) == 255) b.skip(32);  // aspect_ratio_idc, sar_width/height
  if (b.flag()) b.skip(1);                    // overscan
  if (b.flag()) {                             // video signal type
    b.skip(4);
    if (b.flag()) b.skip(24);  // colour description
  }
  if (b.flag()) {  // chroma location
    b.ue();
    b.ue();
  }
  b.skip(3);  // neutral_chroma_indication, field_seq, frame_field_info_present
  if (b.flag())
    for (int i = 0; i < 4; ++i) b.ue();  // default display window
  if (!b.flag()) return 0;
  const uint32_t ticks = b.u(32), scale = b.u(32);
  return ticks > 0 ? static_cast<double>(scale) / ticks : 0;
}

SequenceInfo parse_h265(Bits& b) {
  SequenceInfo s;
  b.skip(4);  // sps_video_parameter_set_id
  const int sub_layers = static_cast<int>(b.u(3));
  if (sub_layers > 6) fail(ErrorKind::kBadInput, "sps_max_sub_layers_minus1 is ", sub_layers);
  b.skip(1);  // sps_temporal_id_nesting_flag
  skip_h265_profile_tier_level(b, sub_layers, s.profile_idc);
  b.ue_max(15, "sps_seq_parameter_set_id");
  s.chroma_format = static_cast<int>(b.ue_max(3, "chroma_format_idc"));
  if (s.chroma_format == 3) b.skip(1);  // separate_colour_plane_flag
  const uint32_t width = b.ue_max(16888, "pic_width_in_luma_samples");
  const uint32_t height = b.ue_max(16888, "pic_height_in_luma_samples");
  uint32_t crop_x = 0, crop_y = 0;
  if (b.flag()) {  // conformance window, in chroma samples
    crop_x = b.ue_max(8192, "conf_win_left_offset") + b.ue_max(8192, "conf_win_right_offset");
    crop_y = b.ue_max(8192, "conf_win_top_offset") + b.ue_max(8192, "conf_win_bottom_offset");
  }
  s.width = static_cast<int>(width) - sub_width(s.chroma_format) * static_cast<int>(crop_x);
  s.height = static_cast<int>(height) - sub_height(s.chroma_format) * static_cast<int>(crop_y);
  s.bit_depth = 8 + static_cast<int>(b.ue_max(8, "bit_depth_luma_minus8"));
  b.ue_max(8, "bit_depth_chroma_minus8");
  const int poc_lsb_bits = 4 + static_cast<int>(b.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4"));
  const bool per_layer = b.flag();  // sps_sub_layer_ordering_info_present_flag
  for (int i = per_layer ? 0 : sub_layers; i <= sub_layers; ++i)
    for (int k = 0; k < 3; ++k) b.ue();  // max_dec_pic_buffering, num_reorder, max_latency
  for (int k = 0; k < 6; ++k) b.ue();    // block sizes and transform hierarchy depths
  if (b.flag() && b.flag()) skip_h265_scaling_list_data(b);
  b.skip(2);       // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (b.flag()) {  // pcm
    b.skip(8);
    b.ue();
    b.ue();
    b.skip(1);
  }
  const uint32_t sets = b.ue_max(64, "num_short_term_ref_pic_sets");
  std::vector<uint32_t> deltas;
  for (uint32_t i = 0; i < sets; ++i) skip_h265_st_ref_pic_set(b, i, deltas);
  if (b.flag()) {  // long_term_ref_pics_present_flag
    const uint32_t n = b.ue_max(32, "num_long_term_ref_pics_sps");
    for (uint32_t i = 0; i < n; ++i) b.skip(poc_lsb_bits + 1);
  }
  b.skip(2);  // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  if (b.flag()) s.frame_rate = h265_vui_frame_rate(b);
  return s;
}

}  // namespace

SequenceInfo parse_sps(AnnexbCodec codec, const uint8_t* nal, size_t size) {
  const size_t header = codec == AnnexbCodec::kH264 ? 1 : 2;
  if (size <= header) fail(ErrorKind::kBadInput, "its sequence parameter set is empty");
  Bits b(unescape(nal + header, size - header));
  try {
    return codec == AnnexbCodec::kH264 ? parse_h264(b) : parse_h265(b);
  } catch (const Error& e) {
    fail(ErrorKind::kBadInput, "its ", annexb_codec_name(codec),
         " sequence parameter set cannot be read (", e.what(), ")");
  }
}

const char* annexb_codec_name(AnnexbCodec codec) {
  return codec == AnnexbCodec::kH264 ? "H.264" : "H.265";
}

}  // namespace ys
