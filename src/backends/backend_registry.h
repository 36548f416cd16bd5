// The one place that lists the backends, as ggml's ggml-backend-reg.cpp does: which are built in,
// and which one a device string names. Everything above the backends layer makes its Backend
// (and the GPU pipeline's device pre/postprocessing) here, so a new backend is added to this file
// and nowhere in pipeline/. The #ifdefs of optional backends live in backend_registry.cpp only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/device_prepost.h"
#include "backends/device_video.h"
#include "runtime/backend.h"

namespace ys {

struct BackendOptions {
  std::string device = "cpu";  // "cpu"; "0", "cuda" or "cuda:0" for a GPU
  int threads = 0;             // CPU threads, 0: the cores other processes leave free
  bool half = false;           // FP16 on a GPU
  bool cuda_graph = true;      // capture the forward in a CUDA Graph and replay it
  bool cudnn_fusion = true;    // FP16 convolution + bias + SiLU as one cuDNN operation graph
};

// The backend `options.device` names. Throws kInvalidArgument for a device string no backend
// reads, kUnsupported for a backend this build lacks or a GPU this machine lacks, saying which.
std::shared_ptr<Backend> make_backend(const BackendOptions& options);

// Every backend built in, described for `yolo version` and `yolo checks`:
// "cpu (oneDNN 2.6.3)", "cuda (...)"; the first is the default.
std::vector<std::string> available_backends();

// Letterbox, decoding and NMS on `backend`'s device, or nullptr where the backend has none (the
// CPU: the pipeline runs them on the host).
std::unique_ptr<DevicePrePost> make_device_prepost(Backend& backend, const DeviceNmsOptions& nms);

// A video decoder on `backend`'s device whose frames go straight into that backend's model input
// (NVDEC on a CUDA backend), or nullptr where the backend or this build has none. Throws
// kUnsupported where the driver's libraries (libcuda.so.1, libnvcuvid.so.1) are missing.
std::unique_ptr<DeviceVideoDecoder> make_device_video_decoder(Backend& backend,
                                                              DeviceVideoCodec codec);

}  // namespace ys
