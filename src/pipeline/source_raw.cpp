// Raw bgr24 frames from a stream: how video reaches builds without OpenCV (NOTES.md).
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <istream>

#include "core/error.h"
#include "pipeline/source.h"

namespace ys {
namespace {

// What a read of a whole frame got: fewer bytes than asked only at the end of the input, on a
// read error (bad) or when cancelled.
struct ReadResult {
  size_t got = 0;
  bool bad = false;
  bool cancelled = false;
};

class RawSource : public Source {
 public:
  using Reader = std::function<ReadResult(char* out, size_t bytes)>;

  RawSource(Reader read, int width, int height, std::string name, double fps)
      : read_(std::move(read)), width_(width), height_(height), name_(std::move(name)), fps_(fps) {}

  bool next(Frame& frame) override {
    if (done_) return false;
    const size_t want = static_cast<size_t>(width_) * static_cast<size_t>(height_) * 3;
    Tensor img(DType::kUInt8, {height_, width_, 3});
    const ReadResult r = read_(static_cast<char*>(img.data()), want);
    if (r.got != want) {
      done_ = true;
      if (r.cancelled) return false;
      if (r.got > 0)
        report(cat(name_, ": frame ", index_, " is truncated: ", r.got, " of ", want, " bytes (",
                   width_, "x", height_, " bgr24); is the frame size right?"));
      else if (r.bad)
        report(cat(name_, ": read error after ", index_, " frames"));
      return false;
    }
    frame.image = std::move(img);
    frame.source = name_;
    frame.kind = FrameKind::kVideo;
    frame.index = index_;
    frame.timestamp_s = fps_ > 0 ? static_cast<double>(index_) / fps_ : 0;
    ++index_;
    return true;
  }

  std::string describe() const override {
    return cat("raw bgr24 frames from ", name_, " (", width_, "x", height_, ")");
  }

 private:
  Reader read_;
  int width_, height_;
  std::string name_;
  double fps_;
  int64_t index_ = 0;
  bool done_ = false;
};

// A descriptor's reads, each waiting in poll() on the input and on an eventfd that cancel()
// signals: a producer that stalls (a pipe held open and silent) can then no longer hold the
// run, and its reader thread, past an interrupt.
class FdReader {
 public:
  explicit FdReader(int fd) : fd_(fd), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wake_ < 0) fail(ErrorKind::kIo, "eventfd: ", std::strerror(errno));
  }
  ~FdReader() { ::close(wake_); }
  FdReader(const FdReader&) = delete;
  FdReader& operator=(const FdReader&) = delete;

  ReadResult read(char* out, size_t bytes) {
    ReadResult r;
    while (r.got < bytes) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        r.bad = true;
        break;
      }
      if (fds[1].revents != 0) {
        r.cancelled = true;
        break;
      }
      const ssize_t n = ::read(fd_, out + r.got, bytes - r.got);
      if (n > 0) {
        r.got += static_cast<size_t>(n);
      } else if (n == 0) {
        break;
      } else if (errno != EINTR && errno != EAGAIN) {
        r.bad = true;
        break;
      }
    }
    return r;
  }

  void cancel() {
    const uint64_t one = 1;
    // Only fails when the counter would overflow, which repeated cancels cannot reach.
    [[maybe_unused]] const ssize_t n = ::write(wake_, &one, sizeof(one));
  }

 private:
  int fd_;
  int wake_;
};

class FdRawSource : public RawSource {
 public:
  FdRawSource(std::unique_ptr<FdReader> reader, int width, int height, std::string name, double fps)
      : RawSource([r = reader.get()](char* out, size_t n) { return r->read(out, n); }, width,
                  height, std::move(name), fps),
        reader_(std::move(reader)) {}

  void cancel() override { reader_->cancel(); }

 private:
  std::unique_ptr<FdReader> reader_;
};

void check_frame_size(int width, int height, const std::string& name) {
  if (width <= 0 || height <= 0 || static_cast<int64_t>(width) * height > (int64_t{1} << 28))
    fail(ErrorKind::kInvalidArgument, "raw frames from ", name, ": bad frame size ", width, "x",
         height);
}

}  // namespace

std::unique_ptr<Source> open_raw_source(std::istream& in, int width, int height, std::string name,
                                        double fps) {
  check_frame_size(width, height, name);
  auto read = [&in](char* out, size_t bytes) {
    in.read(out, static_cast<std::streamsize>(bytes));
    return ReadResult{static_cast<size_t>(in.gcount()), in.bad(), false};
  };
  return std::make_unique<RawSource>(read, width, height, std::move(name), fps);
}

std::unique_ptr<Source> open_raw_fd_source(int fd, int width, int height, std::string name,
                                           double fps) {
  check_frame_size(width, height, name);
  return std::make_unique<FdRawSource>(std::make_unique<FdReader>(fd), width, height,
                                       std::move(name), fps);
}

}  // namespace ys
