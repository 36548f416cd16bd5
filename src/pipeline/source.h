// Where frames come from: image files, directories and globs of them, video files, RTSP/HTTP
// streams and cameras (through OpenCV), raw BGR frames on standard input (the way
// `ffmpeg -f rawvideo -pix_fmt bgr24 -` feeds video tools; works without OpenCV) and a built-in
// synthetic scene. A file or frame that cannot be decoded (corrupt, over the pixel budget, too
// large for memory, not a regular file) is recorded by name with the reason and skipped, so one
// bad image never ends a run; one that decodes incomplete (a truncated JPEG) runs and is recorded
// as damaged. A source that cannot be opened at all is an ys::Error naming it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/frame.h"
#include "pipeline/image_io.h"

namespace ys {

struct SourceSpec {
  // A path (image, video, directory), a glob ("imgs/*.jpg"), a URL (rtsp://, http://, ...), a
  // camera index ("0"), "-" for raw BGR frames on stdin, or "synthetic".
  std::string source;
  int raw_width = 0, raw_height = 0;  // frame size for "-"; required there
  double raw_fps = 30;                // for the timestamps of raw frames
  int vid_stride = 1;  // every n-th frame of videos and streams (0, n, 2n, ...); images all run
  int64_t max_pixels = kDefaultMaxPixels;  // image files claiming more are skipped undecoded
  int synthetic_frames = 100;
  int synthetic_width = 640, synthetic_height = 480;
  double synthetic_fps = 30;
};

class Source {
 public:
  virtual ~Source() = default;
  // Fills frame with the next decodable frame; false at the end.
  virtual bool next(Frame& frame) = 0;
  // "3 images in data/images", "video vtest.avi (795 frames, 768x576, 10 fps)", ...
  virtual std::string describe() const = 0;
  // Frames (or files, for lists of images) when known in advance.
  virtual std::optional<int64_t> size() const { return std::nullopt; }
  // "<name>: <reason>" for everything skipped or damaged so far, in order.
  const std::vector<std::string>& errors() const { return errors_; }
  // Asks a next() that blocks on input, on another thread, to give up and return false soon; the
  // frames after it are not read. Safe from any thread, any number of times. Sources whose reads
  // always finish (files, synthetic frames) need not do anything.
  virtual void cancel() {}

 protected:
  // Records a skipped file or frame and logs it as a warning.
  void report(std::string message);
  // Records a file that runs although damaged and logs it as a warning.
  void report_damaged(std::string message);
  // Records one that another source has already reported (and logged).
  void record(std::string message) { errors_.push_back(std::move(message)); }
  // Records what `inner` has reported since `relayed` (its count of errors already taken), for
  // sources that wrap another.
  void relay_errors(const Source& inner, size_t& relayed) {
    for (; relayed < inner.errors().size(); ++relayed) record(inner.errors()[relayed]);
  }

 private:
  std::vector<std::string> errors_;
};

std::unique_ptr<Source> open_source(const SourceSpec& spec);

// The kinds open_source picks from, for callers and tests that know which they want.
// Files are visited in the given order; videos among them are read frame by frame, every
// vid_stride-th one kept; images whose header claims more than max_pixels are skipped.
std::unique_ptr<Source> open_media_files(std::vector<std::string> files, std::string description,
                                         int vid_stride = 1,
                                         int64_t max_pixels = kDefaultMaxPixels);
// Raw bgr24 frames of width x height from `in`, which must outlive the source.
std::unique_ptr<Source> open_raw_source(std::istream& in, int width, int height,
                                        std::string name = "stdin", double fps = 30);
// The same from a file descriptor (a pipe, standard input), which must stay open while the source
// lives. Its reads wait with poll(), so cancel() ends a read that a stalled producer holds.
std::unique_ptr<Source> open_raw_fd_source(int fd, int width, int height,
                                           std::string name = "stdin", double fps = 30);
// `inner` read ahead on a thread of its own, at most `depth` frames ahead, so that decoding the
// next frames overlaps detection on this one. Frames, skipped inputs and a failure (rethrown from
// next()) come out in the order `inner` produced them.
std::unique_ptr<Source> prefetch_source(std::unique_ptr<Source> inner, int depth);
// Every `stride`-th frame of each video or stream in `inner` (those whose index is a multiple of
// it); still images all pass. For sources that must produce each frame anyway (raw frames on a
// pipe, synthetic ones); capture sources skip frames themselves, without converting them. size()
// and describe() stay the inner source's: they describe the media, not the frames kept.
std::unique_ptr<Source> stride_source(std::unique_ptr<Source> inner, int stride);
// Throws kInvalidArgument unless stride >= 1, in the words of the vid_stride argument.
void check_vid_stride(int stride);
std::unique_ptr<Source> open_synthetic_source(int frames, int width, int height, double fps);
// A video file, stream URL or camera index through cv::VideoCapture; without OpenCV an
// ys::Error (kUnsupported) that says how to feed video instead.
std::unique_ptr<Source> open_capture_source(const std::string& target, FrameKind kind,
                                            int vid_stride = 1);

// By extension, as Ultralytics' IMG_FORMATS / VID_FORMATS (case-insensitive).
bool is_image_path(const std::string& path);
bool is_video_path(const std::string& path);

}  // namespace ys
