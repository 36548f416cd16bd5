#include "pipeline/image_io.h"

// clang-format off
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/error.h"

#ifdef YS_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

namespace ys {
namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(ErrorKind::kNotFound, path, ": no such file");
  if (std::filesystem::is_directory(path, ec))
    fail(ErrorKind::kBadInput, path, ": is a directory, not an image");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kIo, path, ": cannot be opened: ", std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) fail(ErrorKind::kIo, path, ": read error: ", std::strerror(errno));
  if (bytes.empty()) fail(ErrorKind::kBadInput, path, ": empty file");
  return bytes;
}

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
  JpegState s{};
  s.cinfo.err = jpeg_std_error(&s.err);
  s.err.error_exit = jpeg_fatal;
  s.err.output_message = jpeg_quiet;
  s.cinfo.client_data = &s;
  jpeg_create_decompress(&s.cinfo);
  jpeg_mem_src(&s.cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  struct Destroy {
    JpegState& s;
    ~Destroy() { jpeg_destroy_decompress(&s.cinfo); }
  } destroy{s};
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

}  // namespace

Tensor read_image_builtin(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
    return decode_jpeg(bytes, path);
  if (bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0) return decode_png(bytes, path);
  fail(ErrorKind::kBadInput, path,
       ": not a JPEG or PNG file (the decoder built in without OpenCV reads only those)");
}

Tensor read_image(const std::string& path) {
#ifdef YS_HAVE_OPENCV
  // Decoding from memory, as Ultralytics does, keeps file errors ours and precise.
  const std::vector<uint8_t> bytes = read_file(path);
  cv::Mat m = cv::imdecode(
      cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data())),
      cv::IMREAD_COLOR);
  if (m.empty() || m.type() != CV_8UC3)
    fail(ErrorKind::kBadInput, path, ": cannot be decoded (corrupt or unsupported image format)");
  Tensor img(DType::kUInt8, {m.rows, m.cols, 3});
  cv::Mat dst(m.rows, m.cols, CV_8UC3, img.data());
  m.copyTo(dst);
  return img;
#else
  return read_image_builtin(path);
#endif
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
