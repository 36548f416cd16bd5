#include "pipeline/build_info.h"

#include <google/protobuf/stubs/common.h>
#include <jpeglib.h>
#include <png.h>

#include "core/error.h"

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

}  // namespace ys
