// Sources backed by files and cv::VideoCapture: lists of images and videos, single videos,
// streams and cameras.
#include <new>
#include <utility>

#include "core/clock.h"
#include "core/error.h"
#include "pipeline/image_io.h"
#include "pipeline/input_path.h"
#include "pipeline/source.h"

#ifdef YS_HAVE_OPENCV
#include <opencv2/videoio.hpp>
#endif

namespace ys {
namespace {

#ifdef YS_HAVE_OPENCV
class CaptureSource : public Source {
 public:
  CaptureSource(const std::string& target, FrameKind kind, int stride)
      : target_(target), kind_(kind), stride_(stride) {
    const bool camera = kind == FrameKind::kStream && !target.empty() &&
                        target.find_first_not_of("0123456789") == std::string::npos;
    const bool opened = camera ? cap_.open(std::stoi(target)) : cap_.open(target);
    if (!opened || !cap_.isOpened())
      fail(ErrorKind::kIo,
           camera                      ? "camera "
           : kind == FrameKind::kVideo ? "video "
                                       : "stream ",
           target, " cannot be opened");
    const double n = cap_.get(cv::CAP_PROP_FRAME_COUNT);
    if (kind == FrameKind::kVideo && n > 0) frames_ = static_cast<int64_t>(n);
    fps_ = cap_.get(cv::CAP_PROP_FPS);
    start_ns_ = now_ns();
  }

  bool next(Frame& frame) override {
    cv::Mat m;
    for (;; ++index_) {
      // Frames between kept ones are only grabbed: decoded, but never converted to BGR or copied.
      if (index_ % stride_ != 0) {
        if (!cap_.grab()) return ended();
        continue;
      }
      if (!cap_.read(m) || m.empty()) return ended();
      if (m.type() == CV_8UC3) break;
      report(cat(target_, ": frame ", index_, ": unexpected pixel format, skipped"));
    }
    frame.image = Tensor(DType::kUInt8, {m.rows, m.cols, 3});
    cv::Mat dst(m.rows, m.cols, CV_8UC3, frame.image.data());
    m.copyTo(dst);
    frame.damage.clear();
    frame.source = target_;
    frame.kind = kind_;
    frame.index = index_++;
    frame.timestamp_s = kind_ == FrameKind::kVideo ? cap_.get(cv::CAP_PROP_POS_MSEC) / 1000.0
                                                   : (now_ns() - start_ns_) * 1e-9;
    return true;
  }

  std::string describe() const override {
    const int w = static_cast<int>(cap_.get(cv::CAP_PROP_FRAME_WIDTH));
    const int h = static_cast<int>(cap_.get(cv::CAP_PROP_FRAME_HEIGHT));
    return cat(kind_ == FrameKind::kVideo ? "video " : "stream ", target_, " (",
               frames_ ? cat(*frames_, " frames, ") : std::string(), w, "x", h, ", ", fps_,
               " fps)");
  }

  std::optional<int64_t> size() const override { return frames_; }

 private:
  // A file that ends before the frame count its header promises is damaged; a stream ending is
  // simply its end.
  bool ended() {
    if (frames_ && index_ < *frames_ && !reported_end_) {
      reported_end_ = true;
      report(cat(target_, ": stream ends at frame ", index_, " of ", *frames_,
                 " (file truncated or corrupt)"));
    }
    return false;
  }

  cv::VideoCapture cap_;
  std::string target_;
  FrameKind kind_;
  int stride_;
  std::optional<int64_t> frames_;
  double fps_ = 0;
  int64_t index_ = 0;
  int64_t start_ns_ = 0;
  bool reported_end_ = false;
};
#endif

class MediaListSource : public Source {
 public:
  MediaListSource(std::vector<std::string> files, std::string description, int stride,
                  int64_t max_pixels)
      : files_(std::move(files)),
        description_(std::move(description)),
        stride_(stride),
        max_pixels_(max_pixels) {
    for (const std::string& f : files_) has_video_ = has_video_ || is_video_path(f);
  }

  bool next(Frame& frame) override {
    while (true) {
      if (video_) {
        const bool got = video_->next(frame);
        relay_errors(*video_, video_errors_);  // the video logged them already
        if (got) return true;
        video_.reset();
      }
      if (pos_ >= files_.size()) return false;
      const std::string& path = files_[pos_++];
      DecodedImage decoded;
      // One file's failure, whatever raised it, is that file's: it is skipped and the run goes on.
      try {
        if (is_video_path(path)) {
          if (inspect_input_path(path, "video") == PathKind::kMissing)
            fail(ErrorKind::kNotFound, path, ": no such file");
          video_ = open_capture_source(path, FrameKind::kVideo, stride_);
          video_errors_ = 0;
          continue;
        }
        decoded = decode_image_file(path, max_pixels_);
      } catch (const Error& e) {
        report(e.what());
        continue;
      } catch (const std::bad_alloc&) {
        report(cat(path, ": not enough memory to read it"));
        continue;
#ifdef YS_HAVE_OPENCV
      } catch (const cv::Exception& e) {
        report(cat(path, ": cannot be read: OpenCV: ", e.err));
        continue;
#endif
      }
      if (!decoded.damage.empty()) report_damaged(cat(path, ": ", decoded.damage));
      frame.image = std::move(decoded.image);
      frame.damage = std::move(decoded.damage);
      frame.source = path;
      frame.kind = FrameKind::kImage;
      frame.index = 0;
      frame.timestamp_s = 0;
      return true;
    }
  }

  std::string describe() const override {
    return description_;
  }
  // A video's frame count is only known once it is opened.
  std::optional<int64_t> size() const override {
    if (has_video_) return std::nullopt;
    return static_cast<int64_t>(files_.size());
  }

 private:
  std::vector<std::string> files_;
  std::string description_;
  int stride_;
  int64_t max_pixels_;
  bool has_video_ = false;
  size_t pos_ = 0;
  std::unique_ptr<Source> video_;
  size_t video_errors_ = 0;
};

}  // namespace

std::unique_ptr<Source> open_media_files(std::vector<std::string> files, std::string description,
                                         int vid_stride, int64_t max_pixels) {
  check_vid_stride(vid_stride);
  return std::make_unique<MediaListSource>(std::move(files), std::move(description), vid_stride,
                                           max_pixels);
}

std::unique_ptr<Source> open_capture_source(const std::string& target, FrameKind kind,
                                            int vid_stride) {
  check_vid_stride(vid_stride);
#ifdef YS_HAVE_OPENCV
  return std::make_unique<CaptureSource>(target, kind, vid_stride);
#else
  (void)kind;
  fail(ErrorKind::kUnsupported, target,
       ": video, streams and cameras need OpenCV, which this build lacks; decode elsewhere and "
       "pipe raw bgr24 frames in with source=- and the frame size (e.g. ffmpeg -i in.mp4 -f "
       "rawvideo -pix_fmt bgr24 -)");
#endif
}

}  // namespace ys
