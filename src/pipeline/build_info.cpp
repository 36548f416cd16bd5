#include "pipeline/build_info.h"

#include <google/protobuf/stubs/common.h>
#include <jpeglib.h>
#include <png.h>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"

#ifdef YS_HAVE_CUDA
#include "backends/cuda/cuda_backend.h"
#endif

#ifdef YS_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif
#ifdef YS_HAVE_OPENCV
#include <opencv2/core/version.hpp>
#endif

namespace ys {

std::map<std::string, std::string> library_versions() {
  std::map<std::string, std::string> v;
  v["protobuf"] = google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION);
  v["libpng"] = PNG_LIBPNG_VER_STRING;
  v["libjpeg"] = std::to_string(JPEG_LIB_VERSION);
#ifdef YS_HAVE_ONEDNN
  const dnnl_version_t* d = dnnl_version();
  v["onednn"] = cat(d->major, ".", d->minor, ".", d->patch);
#endif
#ifdef YS_HAVE_OPENCV
  v["opencv"] = CV_VERSION;
#endif
  return v;
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

}  // namespace ys
