// vid_stride for sources that produce every frame anyway: every stride-th frame of a video or
// stream, decided by the frame's own index, so that a frame lost to a decode error does not shift
// which frames are kept. Still images all pass, as in Ultralytics, where vid_stride thins video
// only.
#include "core/error.h"
#include "pipeline/source.h"

namespace ys {
namespace {

class StrideSource : public Source {
 public:
  StrideSource(std::unique_ptr<Source> inner, int stride)
      : inner_(std::move(inner)), stride_(stride) {}

  bool next(Frame& frame) override {
    try {
      bool got = inner_->next(frame);
      while (got && frame.kind != FrameKind::kImage && frame.index % stride_ != 0)
        got = inner_->next(frame);
      relay_errors(*inner_, relayed_);
      return got;
    } catch (...) {
      relay_errors(*inner_, relayed_);  // what was skipped before the failure is still reported
      throw;
    }
  }

  std::string describe() const override { return inner_->describe(); }
  std::optional<int64_t> size() const override { return inner_->size(); }
  void cancel() override { inner_->cancel(); }

 private:
  std::unique_ptr<Source> inner_;
  const int stride_;
  size_t relayed_ = 0;
};

}  // namespace

void check_vid_stride(int stride) {
  if (stride < 1) fail(ErrorKind::kInvalidArgument, "vid_stride=", stride, " must be at least 1");
}

std::unique_ptr<Source> stride_source(std::unique_ptr<Source> inner, int stride) {
  check_vid_stride(stride);
  if (stride == 1) return inner;
  return std::make_unique<StrideSource>(std::move(inner), stride);
}

}  // namespace ys
