#include "pipeline/image_io.h"

// clang-format off
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <optional>
#include <vector>

#include "core/error.h"
#include "pipeline/input_path.h"

#ifdef YS_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

namespace ys {
namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  const PathKind kind = inspect_input_path(path, "image");
  if (kind == PathKind::kMissing) fail(ErrorKind::kNotFound, path, ": no such file");
  if (kind == PathKind::kDirectory)
    fail(ErrorKind::kBadInput, path, ": is a directory, not an image");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kIo, path, ": cannot be opened: ", std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) fail(ErrorKind::kIo, path, ": read error: ", std::strerror(errno));
  if (bytes.empty()) fail(ErrorKind::kBadInput, path, ": empty file");
  return bytes;
}

uint32_t le16(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8;
}
uint32_t le24(const uint8_t* p) {
  return le16(p) | static_cast<uint32_t>(p[2]) << 16;
}
uint32_t le32(const uint8_t* p) {
  return le24(p) | static_cast<uint32_t>(p[3]) << 24;
}

bool is_jpeg(const std::vector<uint8_t>& b) {
  return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}
bool is_png(const std::vector<uint8_t>& b) {
  return b.size() >= 8 && png_sig_cmp(b.data(), 0, 8) == 0;
}

struct PixelSize {
  int64_t width = 0, height = 0;
};

// libjpeg and libpng report fatal errors through longjmp. The functions that call them below
// hold no C++ objects with destructors, so a jump never skips one; buffers are allocated by the
// caller between the header and the pixel phases.
struct JpegState {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void jpeg_fatal(j_common_ptr cinfo) {
  auto* s = reinterpret_cast<JpegState*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, s->message);
  std::longjmp(s->jump, 1);
}

// Like OpenCV, recoverable damage (a truncated scan) still yields an image; the warnings are
// libjpeg's to count, not ours to print.
extern "C" void jpeg_quiet(j_common_ptr) {}

// A libjpeg decompressor over `bytes`, destroyed with its scope. Its errors leave a message in
// state().message and longjmp to state().jump, which the caller sets before each libjpeg call.
class JpegReader {
 public:
  explicit JpegReader(const std::vector<uint8_t>& bytes) {
    s_.cinfo.err = jpeg_std_error(&s_.err);
    s_.err.error_exit = jpeg_fatal;
    s_.err.output_message = jpeg_quiet;
    s_.cinfo.client_data = &s_;
    jpeg_create_decompress(&s_.cinfo);
    jpeg_mem_src(&s_.cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  }
  ~JpegReader() { jpeg_destroy_decompress(&s_.cinfo); }
  JpegReader(const JpegReader&) = delete;
  JpegReader& operator=(const JpegReader&) = delete;
  JpegState& state() { return s_; }

 private:
  JpegState s_{};
};

bool jpeg_header(JpegState& s) {
  if (setjmp(s.jump)) return false;
  jpeg_read_header(&s.cinfo, TRUE);
  // JCS_EXT_BGR is libjpeg-turbo's; the output is what OpenCV's decoder asks for.
  s.cinfo.out_color_space =
      s.cinfo.jpeg_color_space == JCS_CMYK || s.cinfo.jpeg_color_space == JCS_YCCK ? JCS_CMYK
                                                                                   : JCS_EXT_BGR;
  jpeg_start_decompress(&s.cinfo);
  return true;
}

bool jpeg_pixels(JpegState& s, uint8_t* out, size_t row_bytes) {
  if (setjmp(s.jump)) return false;
  while (s.cinfo.output_scanline < s.cinfo.output_height) {
    JSAMPROW row = out + static_cast<size_t>(s.cinfo.output_scanline) * row_bytes;
    jpeg_read_scanlines(&s.cinfo, &row, 1);
  }
  jpeg_finish_decompress(&s.cinfo);
  return true;
}

Tensor decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& path) {
  JpegReader reader(bytes);
  JpegState& s = reader.state();
  if (!jpeg_header(s)) fail(ErrorKind::kBadInput, path, ": corrupt JPEG: ", s.message);
  const int w = static_cast<int>(s.cinfo.output_width), h = static_cast<int>(s.cinfo.output_height);
  const int cn = s.cinfo.output_components;
  std::vector<uint8_t> pixels(static_cast<size_t>(w) * h * cn);
  if (!jpeg_pixels(s, pixels.data(), static_cast<size_t>(w) * cn))
    fail(ErrorKind::kBadInput, path, ": corrupt JPEG: ", s.message);
  Tensor img(DType::kUInt8, {h, w, 3});
  uint8_t* o = img.ptr<uint8_t>();
  if (cn == 3) {
    std::memcpy(o, pixels.data(), pixels.size());
  } else {
    // OpenCV's CMYK to BGR conversion, integer rounding included.
    for (size_t i = 0, n = static_cast<size_t>(w) * h; i < n; ++i) {
      const uint8_t* p = &pixels[i * 4];
      const int k = p[3];
      for (int c = 0; c < 3; ++c)
        o[i * 3 + 2 - c] = static_cast<uint8_t>(k - (((255 - p[c]) * k) >> 8));
    }
  }
  return img;
}

struct PngState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const uint8_t* data = nullptr;
  size_t size = 0, pos = 0;
  char message[256] = {};
  png_uint_32 width = 0, height = 0;
};

extern "C" void png_fatal(png_structp png, png_const_charp msg) {
  auto* s = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(s->message, sizeof(s->message), "%s", msg);
  png_longjmp(png, 1);
}

extern "C" void png_quiet(png_structp, png_const_charp) {}

extern "C" void png_read_memory(png_structp png, png_bytep out, png_size_t n) {
  auto* s = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > s->size - s->pos) png_error(png, "file is truncated");
  std::memcpy(out, s->data + s->pos, n);
  s->pos += n;
}

// The transforms OpenCV's PNG decoder applies for IMREAD_COLOR.
bool png_header(PngState& s) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_set_read_fn(s.png, &s, png_read_memory);
  png_read_info(s.png, s.info);
  int depth = 0, color = 0;
  png_get_IHDR(s.png, s.info, &s.width, &s.height, &depth, &color, nullptr, nullptr, nullptr);
  if (depth > 8) png_set_strip_16(s.png);
  png_set_strip_alpha(s.png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s.png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0 && depth < 8) png_set_expand_gray_1_2_4_to_8(s.png);
  if (color & PNG_COLOR_MASK_COLOR)
    png_set_bgr(s.png);
  else
    png_set_gray_to_rgb(s.png);
  png_set_interlace_handling(s.png);
  png_read_update_info(s.png, s.info);
  return png_get_rowbytes(s.png, s.info) == static_cast<size_t>(s.width) * 3 ||
         (std::snprintf(s.message, sizeof(s.message), "unexpected row layout"), false);
}

bool png_pixels(PngState& s, png_bytep* rows) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_read_image(s.png, rows);
  png_read_end(s.png, nullptr);
  return true;
}

Tensor decode_png(const std::vector<uint8_t>& bytes, const std::string& path) {
  PngState s;
  s.data = bytes.data();
  s.size = bytes.size();
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, png_fatal, png_quiet);
  if (!s.png) fail(ErrorKind::kOutOfMemory, path, ": libpng could not start");
  s.info = png_create_info_struct(s.png);
  struct Destroy {
    PngState& s;
    ~Destroy() { png_destroy_read_struct(&s.png, s.info ? &s.info : nullptr, nullptr); }
  } destroy{s};
  if (!s.info || !png_header(s)) fail(ErrorKind::kBadInput, path, ": corrupt PNG: ", s.message);
  Tensor img(DType::kUInt8, {static_cast<int64_t>(s.height), static_cast<int64_t>(s.width), 3});
  std::vector<png_bytep> rows(s.height);
  for (png_uint_32 y = 0; y < s.height; ++y)
    rows[y] = img.ptr<uint8_t>() + static_cast<size_t>(y) * s.width * 3;
  if (!png_pixels(s, rows.data())) fail(ErrorKind::kBadInput, path, ": corrupt PNG: ", s.message);
  return img;
}

bool jpeg_size(JpegState& s) {
  if (setjmp(s.jump)) return false;
  jpeg_read_header(&s.cinfo, TRUE);
  return true;
}

// The size the SOF header claims, read by libjpeg as the decoders read it; nullopt when the
// header is unreadable (the decoder then says why).
std::optional<PixelSize> jpeg_header_size(const std::vector<uint8_t>& bytes) {
  JpegReader reader(bytes);
  JpegState& s = reader.state();
  if (!jpeg_size(s)) return std::nullopt;
  return PixelSize{s.cinfo.image_width, s.cinfo.image_height};
}

bool png_size(PngState& s) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_set_read_fn(s.png, &s, png_read_memory);
  // libpng's default limit (1,000,000 a side) is not ours to apply: the budget is in pixels.
  png_set_user_limits(s.png, 0x7fffffff, 0x7fffffff);
  png_read_info(s.png, s.info);
  s.width = png_get_image_width(s.png, s.info);
  s.height = png_get_image_height(s.png, s.info);
  return true;
}

std::optional<PixelSize> png_header_size(const std::vector<uint8_t>& bytes) {
  PngState s;
  s.data = bytes.data();
  s.size = bytes.size();
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, png_fatal, png_quiet);
  if (!s.png) return std::nullopt;
  s.info = png_create_info_struct(s.png);
  struct Destroy {
    PngState& s;
    ~Destroy() { png_destroy_read_struct(&s.png, s.info ? &s.info : nullptr, nullptr); }
  } destroy{s};
  if (!s.info || !png_size(s)) return std::nullopt;
  return PixelSize{s.width, s.height};
}

// The size an image file's header claims, without decoding it. JPEG and PNG through their
// libraries; BMP and WebP keep theirs in fixed fields of a fixed header, which no library here
// exposes (OpenCV reads them the same way). nullopt for other formats and unreadable headers.
std::optional<PixelSize> header_size(const std::vector<uint8_t>& b) {
  if (is_jpeg(b)) return jpeg_header_size(b);
  if (is_png(b)) return png_header_size(b);
  // BMP: BITMAPCOREHEADER (12 bytes, 16-bit sizes) or BITMAPINFOHEADER and later (32-bit sizes,
  // a negative height for top-down rows).
  if (b.size() >= 26 && b[0] == 'B' && b[1] == 'M') {
    if (le32(&b[14]) == 12) return PixelSize{le16(&b[18]), le16(&b[20])};
    const auto w = static_cast<int32_t>(le32(&b[18])), h = static_cast<int32_t>(le32(&b[22]));
    return PixelSize{std::abs(static_cast<int64_t>(w)), std::abs(static_cast<int64_t>(h))};
  }
  // WebP: RIFF....WEBP, then a VP8X (extended: canvas size), VP8L (lossless) or VP8 chunk.
  if (b.size() >= 30 && std::memcmp(b.data(), "RIFF", 4) == 0 &&
      std::memcmp(&b[8], "WEBP", 4) == 0) {
    if (std::memcmp(&b[12], "VP8X", 4) == 0)
      return PixelSize{int64_t{le24(&b[24])} + 1, int64_t{le24(&b[27])} + 1};
    if (std::memcmp(&b[12], "VP8L", 4) == 0) {
      const uint32_t bits = le32(&b[21]);
      return PixelSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
    }
    if (std::memcmp(&b[12], "VP8 ", 4) == 0)
      return PixelSize{le16(&b[26]) & 0x3FFF, le16(&b[28]) & 0x3FFF};
  }
  return std::nullopt;
}

void check_pixel_budget(const std::vector<uint8_t>& bytes, const std::string& path,
                        int64_t max_pixels) {
  const std::optional<PixelSize> size = header_size(bytes);
  if (!size || size->width * size->height <= max_pixels) return;
  fail(ErrorKind::kBadInput, path, ": its header claims ", size->width, "x", size->height, " = ",
       size->width * size->height, " pixels, over the pixel budget max_pixels=", max_pixels,
       "; not decoded (a small compressed file can claim a huge picture). Raise max_pixels if "
       "the image is genuine");
}

// Whether a JPEG's first image ends with its EOI marker. Walks the marker segments from SOI by
// their lengths, so an EOI inside an APP segment (an EXIF thumbnail) does not count, and scans
// entropy-coded data for the next marker (there, 0xFF is always followed by 0x00 stuffing or a
// restart marker). Bytes after the EOI (another MPO picture, padding) do not matter.
bool jpeg_has_end(const std::vector<uint8_t>& b) {
  const uint8_t* const begin = b.data();
  const uint8_t* const end = begin + b.size();
  const uint8_t* p = begin + 2;
  while (p + 1 < end) {
    if (*p != 0xFF) {
      p = static_cast<const uint8_t*>(std::memchr(p, 0xFF, static_cast<size_t>(end - p)));
      if (!p) return false;
      continue;
    }
    const uint8_t marker = p[1];
    if (marker == 0xD9) return true;
    const bool standalone =
        marker == 0x00 || marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7);
    if (standalone) {
      p += marker == 0xFF ? 1 : 2;
      continue;
    }
    if (end - p < 4) return false;
    p += 2 + ((static_cast<size_t>(p[2]) << 8) | p[3]);
  }
  return false;
}

std::string damage_of(const std::vector<uint8_t>& bytes) {
  if (is_jpeg(bytes) && !jpeg_has_end(bytes))
    return "truncated JPEG: the data ends before the end-of-image marker, so the picture below "
           "the cut is grey";
  return {};
}

Tensor decode_builtin(const std::vector<uint8_t>& bytes, const std::string& path) {
  if (is_jpeg(bytes)) return decode_jpeg(bytes, path);
  if (is_png(bytes)) return decode_png(bytes, path);
  fail(ErrorKind::kBadInput, path,
       ": not a JPEG or PNG file (the decoder built in without OpenCV reads only those)");
}

#ifdef YS_HAVE_OPENCV
Tensor decode_opencv(const std::vector<uint8_t>& bytes, const std::string& path) {
  cv::Mat m;
  try {
    m = cv::imdecode(
        cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data())),
        cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    // OpenCV's own bounds on the header (2^30 pixels) and failed allocations end here.
    fail(ErrorKind::kBadInput, path, ": cannot be decoded: OpenCV refused it (", e.err, ")");
  }
  if (m.empty() || m.type() != CV_8UC3)
    fail(ErrorKind::kBadInput, path, ": cannot be decoded (corrupt or unsupported image format)");
  Tensor img(DType::kUInt8, {m.rows, m.cols, 3});
  cv::Mat dst(m.rows, m.cols, CV_8UC3, img.data());
  m.copyTo(dst);
  return img;
}
#endif

}  // namespace

Tensor read_image_builtin(const std::string& path) {
  return decode_builtin(read_file(path), path);
}

DecodedImage decode_image_file(const std::string& path, int64_t max_pixels) {
  // Decoding from memory, as Ultralytics does, keeps file errors ours and precise.
  const std::vector<uint8_t> bytes = read_file(path);
  check_pixel_budget(bytes, path, max_pixels);
  DecodedImage out;
  try {
#ifdef YS_HAVE_OPENCV
    out.image = decode_opencv(bytes, path);
#else
    out.image = decode_builtin(bytes, path);
#endif
  } catch (const std::bad_alloc&) {
    fail(ErrorKind::kOutOfMemory, path, ": not enough memory to decode it");
  }
  out.damage = damage_of(bytes);
  return out;
}

Tensor read_image(const std::string& path, int64_t max_pixels) {
  return decode_image_file(path, max_pixels).image;
}

void write_png(const std::string& path, const Tensor& bgr) {
  YS_CHECK(bgr.dtype() == DType::kUInt8 && bgr.rank() == 3 && bgr.dim(2) == 3);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(bgr.dim(1));
  image.height = static_cast<png_uint_32>(bgr.dim(0));
  image.format = PNG_FORMAT_BGR;
  if (!png_image_write_to_file(&image, path.c_str(), 0, bgr.data(), 0, nullptr))
    fail(ErrorKind::kIo, path, ": cannot write PNG: ", image.message);
}

}  // namespace ys
