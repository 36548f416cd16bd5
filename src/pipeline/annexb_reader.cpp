// Access units are found from NAL headers alone (H.264 7.4.1.2.3, H.265 7.4.2.4.4): a unit ends
// where a parameter set, delimiter or prefix SEI follows a picture's slices, or where the next
// slice is the first of a new picture (its first_mb_in_slice or first_slice_segment_in_pic_flag,
// the first payload bit). The file is read in 1 MiB blocks; a unit is copied out whole.
#include "pipeline/annexb_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace ys {
namespace {

constexpr size_t kBlock = size_t{1} << 20;
constexpr size_t kNone = static_cast<size_t>(-1);

struct NalKind {
  bool valid = false;        // a header this codec can have
  bool picture = false;      // a coded slice (VCL)
  bool new_picture = false;  // the first slice of a picture
  bool prefix = false;       // a non-VCL unit that opens an access unit
  bool sps = false;
};

// `p` is the NAL header; `n` the bytes available from it.
NalKind classify(AnnexbCodec codec, const uint8_t* p, size_t n) {
  NalKind k;
  if (n < 2 || (p[0] & 0x80) != 0) return k;
  if (codec == AnnexbCodec::kH264) {
    const int type = p[0] & 0x1f;
    k.valid = type != 0 && type < 24;
    k.picture = type >= 1 && type <= 5;
    // Data partitions B and C (3, 4) open with slice_id, not first_mb_in_slice.
    k.new_picture = (type == 1 || type == 2 || type == 5) && (p[1] & 0x80) != 0;
    k.prefix = (type >= 6 && type <= 9) || (type >= 14 && type <= 18);
    k.sps = type == 7;
    return k;
  }
  const int type = (p[0] >> 1) & 0x3f;
  k.valid = (p[1] & 7) != 0 && (type <= 21 || (type >= 32 && type <= 40));
  k.picture = type <= 21;
  k.new_picture = k.picture && n > 2 && (p[2] & 0x80) != 0;
  k.prefix = (type >= 32 && type <= 35) || type == 39 || (type >= 41 && type <= 44) ||
             (type >= 48 && type <= 55);
  k.sps = type == 33;
  return k;
}

// 00 00 01 at or after `from` in [data, data + n): the index of its first 00, or kNone.
size_t find_start_code(const uint8_t* data, size_t n, size_t from) {
  for (size_t i = from + 2; i < n;) {
    const void* one = std::memchr(data + i, 1, n - i);
    if (!one) return kNone;
    i = static_cast<size_t>(static_cast<const uint8_t*>(one) - data);
    if (data[i - 1] == 0 && data[i - 2] == 0) return i - 2;
    ++i;
  }
  return kNone;
}

// What the NAL units of the file's first block say before its first picture, for one codec.
struct HeaderScan {
  bool valid = true;  // every unit before the first picture has a header of this codec
  bool sps_first = false;
  SequenceInfo sequence;
  std::string sps_error;
};

HeaderScan scan_headers(AnnexbCodec codec, const std::vector<uint8_t>& b) {
  HeaderScan h;
  for (size_t sc = find_start_code(b.data(), b.size(), 0); sc != kNone;) {
    const size_t hdr = sc + 3;
    const size_t next = find_start_code(b.data(), b.size(), hdr);
    const size_t end = next == kNone ? b.size() : next;
    const NalKind k = classify(codec, b.data() + hdr, end - hdr);
    if (!k.valid) {
      h.valid = false;
      return h;
    }
    if (k.picture) return h;
    if (k.sps) {
      h.sps_first = true;
      try {
        h.sequence = parse_sps(codec, b.data() + hdr, end - hdr);
      } catch (const Error& e) {
        h.sps_error = e.what();
      }
      return h;
    }
    sc = next;
  }
  return h;
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

AnnexbCodec codec_of_extension(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == ".h264" || ext == ".264" ? AnnexbCodec::kH264 : AnnexbCodec::kHevc;
}

AnnexbCodec other(AnnexbCodec c) {
  return c == AnnexbCodec::kH264 ? AnnexbCodec::kHevc : AnnexbCodec::kH264;
}

}  // namespace

bool is_annexb_path(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == ".h264" || ext == ".264" || ext == ".h265" || ext == ".265" || ext == ".hevc";
}

AnnexbReader::AnnexbReader(const std::string& path) : path_(path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(ErrorKind::kNotFound, path, ": no such video file");
  if (!std::filesystem::is_regular_file(path, ec))
    fail(ErrorKind::kBadInput, path, ": not a regular file");
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(ErrorKind::kIo, path, ": cannot be opened: ", std::strerror(errno));
  try {
    scan(codec_of_extension(path));
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

AnnexbReader::~AnnexbReader() {
  ::close(fd_);
}

// The start says whether this is Annex B at all and of which codec; then one pass counts the
// pictures and the file is rewound.
void AnnexbReader::scan(AnnexbCodec claimed) {
  fill();
  const std::vector<uint8_t>& b = buf_;
  if (b.empty()) fail(ErrorKind::kBadInput, path_, ": is empty");
  const auto zeros = static_cast<size_t>(
      std::find_if(b.begin(), b.end(), [](uint8_t c) { return c != 0; }) - b.begin());
  if (zeros < 2 || zeros == b.size() || b[zeros] != 1) {
    std::string what = "does not start with an Annex B start code (00 00 01)";
    if (b.size() >= 8 && std::memcmp(b.data() + 4, "ftyp", 4) == 0)
      what = "is an MP4 file, not a raw Annex B stream (name it .mp4)";
    else if (b.size() >= 4 && b[0] == 0x1a && b[1] == 0x45 && b[2] == 0xdf && b[3] == 0xa3)
      what = "is a Matroska/WebM file, not a raw Annex B stream (name it .mkv)";
    fail(ErrorKind::kBadInput, path_, ": ", what, "; not a raw ", annexb_codec_name(claimed),
         " elementary stream");
  }
  const HeaderScan h = scan_headers(claimed, b);
  if (!h.valid || !h.sps_first) {
    const HeaderScan o = scan_headers(other(claimed), b);
    if (o.valid && o.sps_first && o.sps_error.empty())
      fail(ErrorKind::kBadInput, path_, ": holds an ", annexb_codec_name(other(claimed)),
           " stream, not the ", annexb_codec_name(claimed), " its extension says (name it ",
           claimed == AnnexbCodec::kH264 ? ".h265" : ".h264", ")");
    fail(ErrorKind::kBadInput, path_, ": ",
         h.valid ? cat("no ", annexb_codec_name(claimed),
                       " sequence parameter set before its first picture (a stream cut from the "
                       "middle?)")
                 : cat("its first NAL units are not ", annexb_codec_name(claimed)),
         "; NVDEC cannot start on it");
  }
  if (!h.sps_error.empty()) fail(ErrorKind::kBadInput, path_, ": ", h.sps_error);
  info_.codec = claimed;
  info_.sequence = h.sequence;

  AccessUnit unit;
  while (next(unit)) info_.access_units += unit.picture ? 1 : 0;
  if (::lseek(fd_, 0, SEEK_SET) != 0)
    fail(ErrorKind::kIo, path_, ": cannot rewind: ", std::strerror(errno));
  buf_.clear();
  buf_offset_ = 0;
  unit_ = 0;
  index_ = 0;
  eof_ = done_ = false;
}

bool AnnexbReader::fill() {
  if (eof_) return false;
  const size_t old = buf_.size();
  buf_.resize(old + kBlock);
  ssize_t got;
  do {
    got = ::read(fd_, buf_.data() + old, kBlock);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    buf_.resize(old);
    fail(ErrorKind::kIo, path_, ": read failed at byte ", buf_offset_ + static_cast<int64_t>(old),
         ": ", std::strerror(errno));
  }
  buf_.resize(old + static_cast<size_t>(got));
  eof_ = got == 0;
  return got > 0;
}

size_t AnnexbReader::start_code_at_or_after(size_t from) {
  for (;;) {
    const size_t at = find_start_code(buf_.data(), buf_.size(), from);
    if (at != kNone) return at;
    // A start code may straddle the block boundary: search again from two bytes before it.
    from = std::max(from, buf_.size() >= 2 ? buf_.size() - 2 : 0);
    if (!fill()) return kNone;
  }
}

bool AnnexbReader::next(AccessUnit& out) {
  if (done_) return false;
  if (unit_ >= kBlock) {  // the bytes handed out, dropped a block at a time, not a unit
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(unit_));
    buf_offset_ += static_cast<int64_t>(unit_);
    unit_ = 0;
  }
  auto emit = [&](size_t end, bool picture) {
    out.data.assign(buf_.begin() + static_cast<std::ptrdiff_t>(unit_),
                    buf_.begin() + static_cast<std::ptrdiff_t>(end));
    out.index = index_++;
    out.offset = buf_offset_ + static_cast<int64_t>(unit_);
    out.picture = picture;
    unit_ = end;
    return true;
  };
  size_t sc = start_code_at_or_after(unit_);
  if (sc == kNone) {  // nothing but zeros or bytes without a start code remain
    done_ = true;
    return false;
  }
  bool picture = false;
  for (;;) {
    const size_t hdr = sc + 3;
    while (buf_.size() < hdr + 3 && fill()) {
    }
    const NalKind k = classify(info_.codec, buf_.data() + hdr, buf_.size() - hdr);
    if (picture && (k.prefix || k.new_picture)) {
      // A four-byte start code's leading zero goes with the unit it opens.
      return emit(sc > unit_ && buf_[sc - 1] == 0 ? sc - 1 : sc, true);
    }
    picture = picture || k.picture;
    sc = start_code_at_or_after(hdr);
    if (sc == kNone) {
      done_ = true;
      return emit(buf_.size(), picture);
    }
  }
}

}  // namespace ys
