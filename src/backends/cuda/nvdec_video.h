// The CUDA backend's DeviceVideoDecoder (backends/device_video.h, issue 20): NvdecDecoder's
// surfaces letterboxed by the NV12 kernel on the backend's own stream straight into the model's
// input, so the forward that follows on that stream sees them without a host copy. Unproven on a
// GPU so far (docs/GPU.md).
#pragma once

#include <memory>

#include "backends/device_video.h"
#include "runtime/backend.h"

namespace ys {

// nullptr where `backend` was not made by make_cuda_backend. Throws ys::Error (kUnsupported)
// where the driver's libcuda.so.1 or libnvcuvid.so.1 is missing.
std::unique_ptr<DeviceVideoDecoder> make_nvdec_video_decoder(Backend& backend,
                                                             DeviceVideoCodec codec);

}  // namespace ys
