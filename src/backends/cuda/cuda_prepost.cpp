#include "backends/cuda/cuda_prepost.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <utility>

#include "backends/cuda/cuda_backend.h"
#include "core/error.h"
#include "core/log.h"

namespace ys::cuda {
namespace {

constexpr int kCoefScale = 1 << 11;  // OpenCV's INTER_RESIZE_COEF_BITS
constexpr size_t kAlign = 256;
constexpr int kTile = 64;
constexpr size_t kMaxSharedBytes = 48 << 10;  // dynamic shared memory without an opt-in

size_t align_up(size_t v) {
  return (v + kAlign - 1) / kAlign * kAlign;
}

// The taps of resize_linear_builtin (pipeline/resize.cpp), which backends cannot include: the
// same double and float steps, compiled by the same host compiler. cuda_prepost_test holds the
// GPU letterbox equal to the host one.
int16_t fixed_weight(float w) {
  return static_cast<int16_t>(std::nearbyint(w * static_cast<float>(kCoefScale)));
}

// Columns clamp out-of-range positions to the edge pixel with weight 1; rows clamp only their
// indices (in the kernel) and keep the weights.
void resize_taps(int src, int dst, bool clamp_weights, ResizeTap* out) {
  const double scale = 1.0 / (static_cast<double>(dst) / src);
  for (int d = 0; d < dst; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (clamp_weights && s < 0) f = 0, s = 0;
    if (clamp_weights && s >= src - 1) f = 0, s = src - 1;
    out[d] = {s, fixed_weight(1.f - f), fixed_weight(f)};
  }
}

bool on_device(const void* p) {
  cudaPointerAttributes attr{};
  if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged;
}

}  // namespace

PinnedBuffer::PinnedBuffer(size_t bytes, const char* what, int numa_node) : bytes_(bytes) {
  if (bytes == 0) return;
  if (numa_node >= 0) {
    NodeLocalMemory local(bytes, numa_node, what);
    if (local.bound() &&
        cudaHostRegister(local.get(), bytes, cudaHostRegisterDefault) == cudaSuccess) {
      ptr_ = local.get();
      node_ = numa_node;
      local_ = std::move(local);
      return;
    }
    (void)cudaGetLastError();
    log_warn("cuda: ", what, ": pinned memory on NUMA node ", numa_node, " failed (",
             local.bound() ? std::string("cudaHostRegister refused it") : local.why(),
             "); cudaHostAlloc places it instead");
  }
  const cudaError_t status = cudaHostAlloc(&ptr_, bytes, cudaHostAllocDefault);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    ptr_ = nullptr;
    fail(ErrorKind::kOutOfMemory, "cuda: cannot allocate ", (bytes + (1 << 20) - 1) >> 20,
         " MiB of pinned host memory for ", what, ": ", cudaGetErrorString(status));
  }
}

PinnedBuffer::~PinnedBuffer() {
  release();
}

void PinnedBuffer::release() {
  if (ptr_ && local_.get())
    (void)cudaHostUnregister(ptr_);
  else if (ptr_)
    (void)cudaFreeHost(ptr_);
  local_ = NodeLocalMemory();
  ptr_ = nullptr;
  bytes_ = 0;
  node_ = -1;
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& o) noexcept
    : ptr_(std::exchange(o.ptr_, nullptr)),
      bytes_(std::exchange(o.bytes_, 0)),
      node_(std::exchange(o.node_, -1)),
      local_(std::move(o.local_)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& o) noexcept {
  if (this != &o) {
    release();
    ptr_ = std::exchange(o.ptr_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
    node_ = std::exchange(o.node_, -1);
    local_ = std::move(o.local_);
  }
  return *this;
}

int device_numa_node(int device) {
  if (online_numa_nodes() < 2) return -1;
  char bus_id[32] = {};
  if (cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return -1;
  }
  return pci_numa_node(bus_id).value_or(-1);
}

PrePost::PrePost(std::shared_ptr<Context> ctx) : ctx_(std::move(ctx)) {
  YS_CHECK(ctx_ != nullptr);
  check(cudaSetDevice(ctx_->device), "cudaSetDevice");
  numa_node_ = device_numa_node(ctx_->device);
  cudaEvent_t e = nullptr;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
  uploaded_.reset(e);
}

// Work still queued may read or write any of the buffers below.
PrePost::~PrePost() {
  (void)cudaStreamSynchronize(ctx_->s());
}

void PrePost::synchronize() {
  check(cudaStreamSynchronize(ctx_->s()), "GPU pre/postprocessing");
}

void PrePost::letterbox(const std::vector<const Tensor*>& images,
                        const std::vector<LetterboxPlacement>& placements, const Tensor& input) {
  check(cudaSetDevice(ctx_->device), "cudaSetDevice");
  YS_CHECK(images.size() == placements.size());
  if (input.dtype() != DType::kFloat32 || input.rank() != 4 || input.dim(1) != 3 ||
      !on_device(input.data()))
    fail(ErrorKind::kInvalidArgument,
         "GPU letterbox: the model input must be a float32 [B, 3, H, W] tensor in device memory, ",
         "got ", dtype_name(input.dtype()), " ", shape_str(input.shape()));
  if (images.empty()) return;
  if (static_cast<int64_t>(images.size()) > input.dim(0))
    fail(ErrorKind::kInvalidArgument, "GPU letterbox: ", images.size(),
         " images for a model input of batch ", input.dim(0));
  const int height = static_cast<int>(input.dim(2)), width = static_cast<int>(input.dim(3));

  const size_t n = images.size();
  std::vector<LetterboxJob> jobs(n);
  size_t taps = 0, pixels = 0;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& img = *images[i];
    if (img.dtype() != DType::kUInt8 || img.rank() != 3 || img.dim(2) != 3 || img.dim(0) < 1 ||
        img.dim(1) < 1 || img.dim(0) > INT_MAX || img.dim(1) > INT_MAX)
      fail(ErrorKind::kBadInput, "image ", i, " is ", dtype_name(img.dtype()), " ",
           shape_str(img.shape()), "; expected a uint8 BGR image [height, width, 3]");
    const LetterboxPlacement& p = placements[i];
    if (p.resized_width < 1 || p.resized_height < 1 || p.pad_left < 0 || p.pad_top < 0 ||
        p.pad_left + p.resized_width > width || p.pad_top + p.resized_height > height)
      fail(ErrorKind::kInvalidArgument, "image ", i, ": a ", p.resized_width, "x", p.resized_height,
           " picture at (", p.pad_left, ", ", p.pad_top, ") does not fit the model input ", width,
           "x", height);
    LetterboxJob& j = jobs[i];
    j.src_width = static_cast<int32_t>(img.dim(1));
    j.src_height = static_cast<int32_t>(img.dim(0));
    j.resized_width = p.resized_width;
    j.resized_height = p.resized_height;
    j.pad_left = p.pad_left;
    j.pad_top = p.pad_top;
    // Same size: the host letterbox takes the pixels as they are, and so does the kernel.
    const bool resize = j.resized_width != j.src_width || j.resized_height != j.src_height;
    j.x_taps = resize ? static_cast<int32_t>(taps) : -1;
    j.y_taps = resize ? static_cast<int32_t>(taps) + j.resized_width : -1;
    if (resize) taps += static_cast<size_t>(j.resized_width) + j.resized_height;
    j.pixels = static_cast<int64_t>(pixels);
    pixels += align_up(img.nbytes());
  }
  if (taps > INT_MAX) fail(ErrorKind::kUnsupported, "GPU letterbox: resized images too large");

  // Staging layout, uploaded in one copy: jobs, taps, then each image's pixels.
  const size_t taps_at = align_up(n * sizeof(LetterboxJob));
  const size_t pixels_at = taps_at + align_up(taps * sizeof(ResizeTap));
  const size_t total = pixels_at + pixels;
  const std::string what = cat("staging ", n, " image(s) for the GPU letterbox");
  // The previous upload may still be reading the staging buffer.
  check(cudaEventSynchronize(uploaded_.get()), "waiting for the previous image upload");
  if (staging_.size() < total) staging_ = PinnedBuffer(total, what.c_str(), numa_node_);
  if (upload_.size() < total) {
    synchronize();
    upload_ = DeviceBuffer(total, what);
  }

  auto* host = static_cast<uint8_t*>(staging_.get());
  auto* tap = reinterpret_cast<ResizeTap*>(host + taps_at);
  for (size_t i = 0; i < n; ++i) {
    const LetterboxJob& j = jobs[i];
    if (j.x_taps >= 0) {
      resize_taps(j.src_width, j.resized_width, true, tap + j.x_taps);
      resize_taps(j.src_height, j.resized_height, false, tap + j.y_taps);
    }
    std::memcpy(host + pixels_at + j.pixels, images[i]->data(), images[i]->nbytes());
  }
  for (LetterboxJob& j : jobs) j.pixels += static_cast<int64_t>(pixels_at);
  std::memcpy(host, jobs.data(), n * sizeof(LetterboxJob));

  auto* dev = static_cast<uint8_t*>(upload_.get());
  check(cudaMemcpyAsync(dev, host, total, cudaMemcpyHostToDevice, ctx_->s()), "image upload");
  check(cudaEventRecord(uploaded_.get(), ctx_->s()), "image upload");
  launch_letterbox(dev, reinterpret_cast<const LetterboxJob*>(dev),
                   reinterpret_cast<const ResizeTap*>(dev + taps_at), static_cast<int>(n),
                   input.ptr<float>(), width, height, ctx_->s());
}

void PrePost::upload_classes(const std::vector<int>& classes, int nc) {
  if (classes.empty() || (classes == classes_on_device_ && nc == classes_nc_)) return;
  std::vector<uint8_t> allowed(static_cast<size_t>(nc), 0);
  for (int c : classes)
    if (c >= 0 && c < nc) allowed[static_cast<size_t>(c)] = 1;
  synchronize();
  classes_ = DeviceBuffer(allowed.size(), "class filter");
  check(cudaMemcpy(classes_.get(), allowed.data(), allowed.size(), cudaMemcpyHostToDevice),
        "class filter upload");
  classes_on_device_ = classes;
  classes_nc_ = nc;
}

void PrePost::decode(const Tensor& output, int images, const DeviceNmsOptions& options) {
  check(cudaSetDevice(ctx_->device), "cudaSetDevice");
  if (output.dtype() != DType::kFloat32 || output.rank() != 3 || output.dim(1) <= 4 ||
      !on_device(output.data()))
    fail(ErrorKind::kInvalidArgument, "GPU box decoding: the model output must be a float32 ",
         "[batch, 4 + classes, anchors] tensor in device memory, got ", dtype_name(output.dtype()),
         " ", shape_str(output.shape()));
  if (images < 1 || images > output.dim(0))
    fail(ErrorKind::kInvalidArgument, "GPU box decoding: ", images,
         " images for an output of batch ", output.dim(0));
  if (output.dim(0) * output.dim(2) > INT_MAX || output.dim(1) > INT_MAX)
    fail(ErrorKind::kUnsupported, "GPU box decoding: the output ", shape_str(output.shape()),
         " is too large for 32-bit candidate indices");
  const int batch = static_cast<int>(output.dim(0)), anchors = static_cast<int>(output.dim(2));
  nc_ = static_cast<int>(output.dim(1)) - 4;
  images_ = images;
  options_ = options;

  if (batch != batch_ || anchors != anchors_) {
    synchronize();
    const size_t items = static_cast<size_t>(batch) * static_cast<size_t>(anchors);
    boxes_ = DeviceBuffer(items * sizeof(GpuDetection), "decoded boxes");
    keys_ = DeviceBuffer(items * sizeof(uint64_t), "candidate sort keys");
    sorted_ = DeviceBuffer(items * sizeof(uint64_t), "sorted candidate keys");
    // Segment starts (image * anchors), then the ends decode counts up from them.
    segments_ = DeviceBuffer(2 * static_cast<size_t>(batch) * sizeof(int), "candidate segments");
    std::vector<int> begins(static_cast<size_t>(batch));
    for (int b = 0; b < batch; ++b) begins[static_cast<size_t>(b)] = b * anchors;
    check(cudaMemcpy(segments_.get(), begins.data(), begins.size() * sizeof(int),
                     cudaMemcpyHostToDevice),
          "candidate segments");
    anchor_bits_ = 1;
    while (anchor_bits_ < 31 && (int64_t{1} << anchor_bits_) < anchors) ++anchor_bits_;
    batch_ = batch;
    anchors_ = anchors;
  }
  upload_classes(options.classes, nc_);

  int* begins = static_cast<int*>(segments_.get());
  int* ends = begins + batch_;
  auto* keys = static_cast<uint64_t*>(keys_.get());
  auto* sorted = static_cast<uint64_t*>(sorted_.get());
  const int items = batch_ * anchors_, end_bit = 32 + anchor_bits_;
  size_t temp_bytes = 0;
  sort_segments(nullptr, temp_bytes, keys, sorted, items, images, begins, ends, end_bit, ctx_->s());
  if (sort_temp_.size() < temp_bytes) {
    synchronize();
    sort_temp_ = DeviceBuffer(temp_bytes, "candidate sort workspace");
  }

  check(cudaMemcpyAsync(ends, begins, static_cast<size_t>(images) * sizeof(int),
                        cudaMemcpyDeviceToDevice, ctx_->s()),
        "candidate counters");
  DecodeArgs a;
  a.pred = output.ptr<float>();
  a.images = images;
  a.channels = nc_ + 4;
  a.anchors = anchors_;
  a.conf = options.conf;
  a.allowed = options.classes.empty() ? nullptr : static_cast<const uint8_t*>(classes_.get());
  a.anchor_bits = anchor_bits_;
  a.boxes = static_cast<GpuDetection*>(boxes_.get());
  a.keys = keys;
  a.ends = ends;
  launch_decode(a, ctx_->s());
  sort_segments(sort_temp_.get(), temp_bytes, keys, sorted, items, images, begins, ends, end_bit,
                ctx_->s());
}

void PrePost::nms() {
  YS_CHECK(images_ > 0, "nms() before decode()");
  check(cudaSetDevice(ctx_->device), "cudaSetDevice");
  const int max_nms = std::max(options_.max_nms, 0);
  const int rows = std::max(1, std::min(anchors_, max_nms));
  const int words = (rows + kTile - 1) / kTile;
  if (static_cast<size_t>(words) * sizeof(uint64_t) > kMaxSharedBytes)
    fail(ErrorKind::kUnsupported, "GPU NMS: max_nms=", options_.max_nms, " with ", anchors_,
         " anchors lets ", rows, " candidates into NMS; the GPU path takes at most ",
         kMaxSharedBytes / sizeof(uint64_t) * kTile, " (lower max_nms)");
  const size_t mask_bytes = static_cast<size_t>(batch_) * static_cast<size_t>(rows) *
                            static_cast<size_t>(words) * sizeof(uint64_t);
  if (mask_.size() < mask_bytes) {
    synchronize();
    mask_ = DeviceBuffer(mask_bytes, cat("NMS mask for ", rows, " candidates"));
  }
  const int slots = std::max(1, options_.max_det);
  const size_t header = align_up(2 * static_cast<size_t>(batch_) * sizeof(int));
  const size_t bytes =
      header + static_cast<size_t>(batch_) * static_cast<size_t>(slots) * sizeof(GpuDetection);
  if (results_.size() < bytes) {
    synchronize();
    results_ = DeviceBuffer(bytes, "detections");
    results_host_ = PinnedBuffer(bytes, "detections", numa_node_);
  }
  result_slots_ = slots;

  auto* res = static_cast<uint8_t*>(results_.get());
  NmsArgs a;
  a.boxes = static_cast<const GpuDetection*>(boxes_.get());
  a.sorted = static_cast<const uint64_t*>(sorted_.get());
  a.ends = static_cast<const int*>(segments_.get()) + batch_;
  a.images = images_;
  a.anchors = anchors_;
  a.anchor_bits = anchor_bits_;
  a.max_nms = max_nms;
  a.rows = rows;
  a.words = words;
  a.mask = static_cast<uint64_t*>(mask_.get());
  a.iou = options_.iou;
  a.agnostic = options_.agnostic;
  a.max_wh = options_.max_wh;
  a.max_det = options_.max_det;
  a.kept = reinterpret_cast<int*>(res);
  a.candidates = a.kept + batch_;
  a.out = reinterpret_cast<GpuDetection*>(res + header);
  // Enough blocks to fill the GPU when the mask is large; idle ones exit after one comparison.
  launch_nms(a, std::min(words * words, 256), ctx_->s());
  const size_t used =
      header + static_cast<size_t>(images_) * static_cast<size_t>(slots) * sizeof(GpuDetection);
  check(cudaMemcpyAsync(results_host_.get(), res, used, cudaMemcpyDeviceToHost, ctx_->s()),
        "detections download");
}

std::vector<GpuDetection> PrePost::detections(int image) const {
  YS_CHECK(image >= 0 && image < images_);
  const auto* host = static_cast<const uint8_t*>(results_host_.get());
  const int kept = reinterpret_cast<const int*>(host)[image];
  YS_CHECK(kept >= 0 && kept <= result_slots_);
  const auto* first = reinterpret_cast<const GpuDetection*>(
                          host + align_up(2 * static_cast<size_t>(batch_) * sizeof(int))) +
                      static_cast<size_t>(image) * static_cast<size_t>(result_slots_);
  return {first, first + kept};
}

int PrePost::candidates(int image) const {
  YS_CHECK(image >= 0 && image < images_);
  return reinterpret_cast<const int*>(results_host_.get())[batch_ + image];
}

}  // namespace ys::cuda

namespace ys {
namespace {

class CudaPrePost final : public DevicePrePost {
 public:
  CudaPrePost(std::shared_ptr<cuda::Context> ctx, const DeviceNmsOptions& nms)
      : prepost_(std::move(ctx)), nms_(nms) {}

  void letterbox(const std::vector<const Tensor*>& images,
                 const std::vector<LetterboxPlacement>& placements, const Tensor& input) override {
    prepost_.letterbox(images, placements, input);
  }
  void decode(const Tensor& output, int images) override { prepost_.decode(output, images, nms_); }
  void nms() override { prepost_.nms(); }
  void synchronize() override { prepost_.synchronize(); }
  std::vector<DeviceDetection> detections(int image) const override {
    std::vector<DeviceDetection> out;
    for (const cuda::GpuDetection& d : prepost_.detections(image))
      out.push_back({d.x1, d.y1, d.x2, d.y2, d.conf, d.cls});
    return out;
  }
  int candidates(int image) const override { return prepost_.candidates(image); }

 private:
  cuda::PrePost prepost_;
  DeviceNmsOptions nms_;
};

}  // namespace

std::unique_ptr<DevicePrePost> make_cuda_prepost(Backend& backend, const DeviceNmsOptions& nms) {
  std::shared_ptr<cuda::Context> ctx = cuda_context_of(backend);
  if (!ctx) return nullptr;
  return std::make_unique<CudaPrePost>(std::move(ctx), nms);
}

}  // namespace ys
