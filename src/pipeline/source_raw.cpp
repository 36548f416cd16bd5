// Raw bgr24 frames from a stream: how video reaches builds without OpenCV (NOTES.md).
#include <istream>

#include "core/error.h"
#include "pipeline/source.h"

namespace ys {
namespace {

class RawSource : public Source {
 public:
  RawSource(std::istream& in, int width, int height, std::string name, double fps)
      : in_(in), width_(width), height_(height), name_(std::move(name)), fps_(fps) {}

  bool next(Frame& frame) override {
    if (done_) return false;
    const std::streamsize want = static_cast<std::streamsize>(width_) * height_ * 3;
    Tensor img(DType::kUInt8, {height_, width_, 3});
    in_.read(static_cast<char*>(img.data()), want);
    const std::streamsize got = in_.gcount();
    if (got != want) {
      done_ = true;
      if (got > 0)
        report(cat(name_, ": frame ", index_, " is truncated: ", got, " of ", want, " bytes (",
                   width_, "x", height_, " bgr24); is the frame size right?"));
      else if (in_.bad())
        report(cat(name_, ": read error after ", index_, " frames"));
      return false;
    }
    frame.image = std::move(img);
    frame.source = name_;
    frame.kind = FrameKind::kVideo;
    frame.index = index_;
    frame.timestamp_s = fps_ > 0 ? index_ / fps_ : 0;
    ++index_;
    return true;
  }

  std::string describe() const override {
    return cat("raw bgr24 frames from ", name_, " (", width_, "x", height_, ")");
  }

 private:
  std::istream& in_;
  int width_, height_;
  std::string name_;
  double fps_;
  int64_t index_ = 0;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Source> open_raw_source(std::istream& in, int width, int height, std::string name,
                                        double fps) {
  if (width <= 0 || height <= 0 || static_cast<int64_t>(width) * height > (int64_t{1} << 28))
    fail(ErrorKind::kInvalidArgument, "raw frames from ", name, ": bad frame size ", width, "x",
         height);
  return std::make_unique<RawSource>(in, width, height, std::move(name), fps);
}

}  // namespace ys
