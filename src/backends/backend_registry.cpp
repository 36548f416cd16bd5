#include "backends/backend_registry.h"

#include <filesystem>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"
#ifdef YS_HAVE_CUDA
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_prepost.h"
#endif
#if defined(YS_HAVE_CUDA) && defined(YS_HAVE_NVDEC)
#include "backends/cuda/nvdec_video.h"
#endif
#ifdef YS_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

namespace ys {
namespace {

#ifdef YS_HAVE_CUDA
// Without an NVIDIA driver the CUDA runtime still answers, but in its own terms: with the stub
// libcuda it says "CUDA driver version is insufficient", which sends a user looking for a driver
// update on a machine that has no GPU. The driver's /proc entry tells the two cases apart.
void check_gpu_present(const std::string& device) {
  std::string why;
  if (cuda_device_available(&why)) return;
  std::error_code ec;
  if (!std::filesystem::exists("/proc/driver/nvidia/version", ec)) {
    fail(ErrorKind::kUnsupported, "device=", device,
         ": this machine has no NVIDIA GPU (no NVIDIA driver is loaded). Run on the CPU with "
         "device=cpu");
  }
  fail(ErrorKind::kUnsupported, "device=", device, ": the NVIDIA driver is loaded but CUDA finds ",
       why, ". Run on the CPU with device=cpu, or check the driver with nvidia-smi");
}
#endif

}  // namespace

std::shared_ptr<Backend> make_backend(const BackendOptions& o) {
  if (o.device.empty() || o.device == "cpu") return make_cpu_backend({.threads = o.threads});
#ifdef YS_HAVE_CUDA
  // "0", "cuda", "cuda:0": one GPU by index.
  std::string index = o.device;
  if (index.rfind("cuda", 0) == 0)
    index = index.size() > 5 && index[4] == ':' ? index.substr(5) : "0";
  if (!index.empty() && index.find_first_not_of("0123456789") == std::string::npos) {
    check_gpu_present(o.device);
    return make_cuda_backend({.device = std::stoi(index),
                              .half = o.half,
                              .cuda_graph = o.cuda_graph,
                              .graph_fusion = o.cudnn_fusion});
  }
  fail(ErrorKind::kInvalidArgument, "device=", o.device, ": expected cpu, a GPU index or cuda:N");
#endif
  fail(ErrorKind::kUnsupported, "device=", o.device,
       ": this build of YoloScope has no CUDA backend (",
       "it is compiled when nvcc and cuDNN are found); use device=cpu");
}

std::vector<std::string> available_backends() {
  std::vector<std::string> b;
#ifdef YS_HAVE_ONEDNN
  const dnnl_version_t* d = dnnl_version();
  b.push_back(cat("cpu (oneDNN ", d->major, ".", d->minor, ".", d->patch, ")"));
#else
  b.push_back("cpu (reference kernels, built without oneDNN)");
#endif
#ifdef YS_HAVE_CUDA
  const std::string gpu = cuda_device_description(0);
  b.push_back(
      cat("cuda (cuDNN, cuBLAS, CUDA graphs; ", gpu.empty() ? "no device found" : gpu, ")"));
#endif
  return b;
}

std::unique_ptr<DevicePrePost> make_device_prepost(Backend& backend, const DeviceNmsOptions& nms) {
#ifdef YS_HAVE_CUDA
  return make_cuda_prepost(backend, nms);
#else
  (void)backend;
  (void)nms;
  return nullptr;
#endif
}

std::unique_ptr<DeviceVideoDecoder> make_device_video_decoder(Backend& backend,
                                                              DeviceVideoCodec codec) {
#if defined(YS_HAVE_CUDA) && defined(YS_HAVE_NVDEC)
  return make_nvdec_video_decoder(backend, codec);
#else
  (void)backend;
  (void)codec;
  return nullptr;
#endif
}

}  // namespace ys
