// NVDEC keeps one surface mapped at a time, and unmapping it while a kernel still reads it would
// hand that kernel a recycled surface: every use of the current frame records an event, and the
// next map (or the destructor) waits for it. The wait is for one small kernel, not the stream's
// whole queue.
#include "backends/cuda/nvdec_video.h"

#include <cuda_runtime.h>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/nv12_letterbox.h"
#include "backends/cuda/nvdec_decoder.h"
#include "core/error.h"

namespace ys {
namespace {

cuda::NvdecCodec nvdec_codec(DeviceVideoCodec c) {
  switch (c) {
    case DeviceVideoCodec::kH264:
      return cuda::NvdecCodec::kH264;
    case DeviceVideoCodec::kHevc:
      return cuda::NvdecCodec::kHevc;
    case DeviceVideoCodec::kAv1:
      return cuda::NvdecCodec::kAv1;
    case DeviceVideoCodec::kVp9:
      return cuda::NvdecCodec::kVp9;
  }
  return cuda::NvdecCodec::kH264;
}

class NvdecVideoDecoder final : public DeviceVideoDecoder {
 public:
  NvdecVideoDecoder(std::shared_ptr<cuda::Context> ctx, DeviceVideoCodec codec)
      : ctx_(std::move(ctx)), nvdec_(nvdec_codec(codec), ctx_->device) {
    cuda::check(cudaSetDevice(ctx_->device), "cudaSetDevice");
    cudaEvent_t e = nullptr;
    cuda::check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
    used_.reset(e);
  }

  ~NvdecVideoDecoder() override {
    if (in_use_) (void)cudaEventSynchronize(used_.get());
  }

  void push(const uint8_t* data, size_t size, int64_t pts) override {
    nvdec_.push(data, size, pts);
  }

  bool next(DeviceVideoFrame& frame) override {
    release();
    mapped_ = nvdec_.map_next(surface_, ctx_->s());
    if (mapped_) frame = {surface_.width, surface_.height, surface_.pts};
    return mapped_;
  }

  void letterbox(const LetterboxPlacement& at, const Tensor& input, int slot) override {
    if (!mapped_) fail(ErrorKind::kInternal, "NVDEC letterbox: no current frame (call next())");
    if (input.dtype() != DType::kFloat32 || input.rank() != 4 || input.dim(1) != 3)
      fail(ErrorKind::kInvalidArgument,
           "NVDEC letterbox: the model input must be a float32 [B, 3, H, W] tensor, got ",
           dtype_name(input.dtype()), " ", shape_str(input.shape()));
    const int height = static_cast<int>(input.dim(2)), width = static_cast<int>(input.dim(3));
    if (slot < 0 || slot >= input.dim(0))
      fail(ErrorKind::kInvalidArgument, "NVDEC letterbox: slot ", slot, " of a batch of ",
           input.dim(0));
    if (at.resized_width < 1 || at.resized_height < 1 || at.pad_left < 0 || at.pad_top < 0 ||
        at.pad_left + at.resized_width > width || at.pad_top + at.resized_height > height)
      fail(ErrorKind::kInvalidArgument, "NVDEC letterbox: a ", at.resized_width, "x",
           at.resized_height, " picture at (", at.pad_left, ", ", at.pad_top,
           ") does not fit the model input ", width, "x", height);
    cuda::check(cudaSetDevice(ctx_->device), "cudaSetDevice");
    cuda::Nv12Letterbox job;
    job.luma = surface_.luma;
    job.chroma = surface_.chroma;
    job.pitch = surface_.pitch;
    job.src_width = surface_.width;
    job.src_height = surface_.height;
    job.resized_width = at.resized_width;
    job.resized_height = at.resized_height;
    job.pad_left = at.pad_left;
    job.pad_top = at.pad_top;
    job.nchw = input.ptr<float>() + static_cast<int64_t>(slot) * 3 * height * width;
    job.width = width;
    job.height = height;
    cuda::launch_nv12_letterbox(job, ctx_->s());
    cuda::check(cudaGetLastError(), "NV12 letterbox kernel launch");
    mark_used();
  }

  int max_ahead() const override { return nvdec_.max_ahead(); }

  Tensor download_bgr() override {
    if (!mapped_) fail(ErrorKind::kInternal, "NVDEC download: no current frame (call next())");
    const size_t bytes = static_cast<size_t>(surface_.width) * surface_.height * 3;
    cuda::check(cudaSetDevice(ctx_->device), "cudaSetDevice");
    if (bgr_.size() < bytes) bgr_ = cuda::DeviceBuffer(bytes, "NVDEC frame for the outputs");
    cuda::Nv12Bgr job;
    job.luma = surface_.luma;
    job.chroma = surface_.chroma;
    job.pitch = surface_.pitch;
    job.width = surface_.width;
    job.height = surface_.height;
    job.bgr = static_cast<uint8_t*>(bgr_.get());
    cuda::launch_nv12_to_bgr(job, ctx_->s());
    cuda::check(cudaGetLastError(), "NV12 to BGR kernel launch");
    Tensor host(DType::kUInt8, {surface_.height, surface_.width, 3});
    cuda::check(cudaMemcpyAsync(host.data(), bgr_.get(), bytes, cudaMemcpyDeviceToHost, ctx_->s()),
                "NVDEC frame copy to the host");
    mark_used();
    release();
    return host;
  }

 private:
  void mark_used() {
    cuda::check(cudaEventRecord(used_.get(), ctx_->s()), "cudaEventRecord");
    in_use_ = true;
  }
  // Waits for the kernels that read the current surface; the surface itself stays mapped.
  void release() {
    if (!in_use_) return;
    in_use_ = false;
    cuda::check(cudaEventSynchronize(used_.get()), "NVDEC surface release");
  }

  std::shared_ptr<cuda::Context> ctx_;
  cuda::NvdecDecoder nvdec_;
  cuda::EventPtr used_;
  cuda::DeviceBuffer bgr_;
  cuda::NvdecSurface surface_;
  bool mapped_ = false, in_use_ = false;
};

}  // namespace

std::unique_ptr<DeviceVideoDecoder> make_nvdec_video_decoder(Backend& backend,
                                                             DeviceVideoCodec codec) {
  std::shared_ptr<cuda::Context> ctx = cuda_context_of(backend);
  if (!ctx) return nullptr;
  return std::make_unique<NvdecVideoDecoder>(std::move(ctx), codec);
}

}  // namespace ys
