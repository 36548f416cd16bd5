#include "pipeline/source.h"

#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "pipeline/input_path.h"

namespace fs = std::filesystem;

namespace ys {
namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  if (!ext.empty()) ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool is_media(const fs::path& p) {
  return is_image_path(p.string()) || is_video_path(p.string());
}

std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) fail(ErrorKind::kIo, "source directory ", dir, " cannot be read: ", ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) fail(ErrorKind::kIo, "source directory ", dir, " cannot be read: ", ec.message());
    if (is_media(it->path())) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> expand_glob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i)
      if (is_media(g.gl_pathv[i])) files.push_back(g.gl_pathv[i]);
  globfree(&g);
  if (rc == GLOB_ABORTED)
    fail(ErrorKind::kIo, "source glob ", pattern, ": a directory cannot be read");
  std::sort(files.begin(), files.end());
  return files;
}

bool all_digits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

void Source::report(std::string message) {
  log_warn("skipped ", message);
  errors_.push_back(std::move(message));
}

void Source::report_damaged(std::string message) {
  log_warn("damaged ", message);
  errors_.push_back(std::move(message));
}

bool is_image_path(const std::string& path) {
  static const std::set<std::string> kExt = {"bmp", "dng",  "jpeg", "jpg", "mpo", "png",
                                             "tif", "tiff", "webp", "pfm", "heic"};
  return kExt.count(lower_extension(path)) > 0;
}

bool is_video_path(const std::string& path) {
  // 264, 265, h264, h265 and hevc: raw Annex B streams (issue 20), which OpenCV's FFmpeg opens too.
  static const std::set<std::string> kExt = {"264",  "265",  "asf", "avi", "gif", "h264",
                                             "h265", "hevc", "m4v", "mkv", "mov", "mp4",
                                             "mpeg", "mpg",  "ts",  "wmv", "webm"};
  return kExt.count(lower_extension(path)) > 0;
}

std::unique_ptr<Source> open_source(const SourceSpec& spec) {
  const std::string& s = spec.source;
  if (s.empty()) fail(ErrorKind::kInvalidArgument, "source is empty");
  check_vid_stride(spec.vid_stride);
  if (s == "-") {
    if (spec.raw_width <= 0 || spec.raw_height <= 0)
      fail(ErrorKind::kInvalidArgument,
           "source=- reads raw bgr24 frames from stdin and needs their size (width and height)");
    return stride_source(
        open_raw_fd_source(STDIN_FILENO, spec.raw_width, spec.raw_height, "stdin", spec.raw_fps),
        spec.vid_stride);
  }
  if (s == "synthetic")
    return stride_source(open_synthetic_source(spec.synthetic_frames, spec.synthetic_width,
                                               spec.synthetic_height, spec.synthetic_fps),
                         spec.vid_stride);
  if (all_digits(s) || s.find("://") != std::string::npos)
    return open_capture_source(s, FrameKind::kStream, spec.vid_stride);
  if (s.find_first_of("*?[") != std::string::npos) {
    std::vector<std::string> files = expand_glob(s);
    if (files.empty()) fail(ErrorKind::kNotFound, "source glob ", s, " matches no image or video");
    const size_t n = files.size();
    return open_media_files(std::move(files), cat(n, " files matching ", s), spec.vid_stride,
                            spec.max_pixels);
  }
  const PathKind kind = inspect_input_path(s, "source");
  if (kind == PathKind::kMissing) fail(ErrorKind::kNotFound, "source not found: ", s);
  if (kind == PathKind::kDirectory) {
    std::vector<std::string> files = list_directory(s);
    if (files.empty())
      fail(ErrorKind::kNotFound, "source directory ", s, " holds no image or video");
    const size_t n = files.size();
    return open_media_files(std::move(files), cat(n, " files in ", s), spec.vid_stride,
                            spec.max_pixels);
  }
  if (is_video_path(s)) return open_capture_source(s, FrameKind::kVideo, spec.vid_stride);
  if (!is_image_path(s))
    fail(ErrorKind::kInvalidArgument, "source ", s,
         ": unsupported file type (images: jpg, png, bmp, tif, webp, ...; videos: mp4, avi, mkv, "
         "mov, ...)");
  return open_media_files({s}, cat("image ", s), 1, spec.max_pixels);
}

}  // namespace ys
