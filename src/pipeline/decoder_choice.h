// Which decoder a run uses (issue 20's decoder=auto|cpu|nvdec|nvjpeg), decided once before the
// run from the source, the device and what this machine has. A GPU decoder asked for where it
// cannot work falls back to the CPU with one line saying why: no CUDA device, no NVIDIA driver
// libraries, no libavformat in this build, a codec NVDEC cannot decode. The GPU frame paths are
// not in the frame loop yet, so today every run decodes on the CPU and an explicit nvdec or
// nvjpeg request on a ready machine says that too.
#pragma once

#include <string>
#include <string_view>

namespace ys {

enum class DecoderKind { kCpu, kNvdec, kNvjpeg };

struct DecoderChoice {
  DecoderKind kind = DecoderKind::kCpu;
  // One line for the user when the run does not get what was asked; empty otherwise.
  std::string note;
};

// What the machine offers, asked apart from the choice so that tests can play any machine.
struct DecoderMachine {
  bool cuda_device = false;  // the run's device is a CUDA device (device=0, ...)
  bool cuda_driver = false;  // libcuda.so.1 loads
  bool nvcuvid = false;      // libnvcuvid.so.1 (NVDEC) loads
  bool nvjpeg = false;       // libnvjpeg.so loads
};

// Loads and unloads the libraries (dlopen) to see whether they are there; nothing stays loaded.
DecoderMachine probe_decoder_machine(bool cuda_device);

// `requested` is one of auto, cpu, nvdec, nvjpeg (validated by the CLI's table). `source` is the
// source= text; a video file is opened with the demuxer to learn its codec where the build has
// libavformat and the machine has NVDEC.
DecoderChoice choose_decoder(std::string_view requested, const std::string& source,
                             const DecoderMachine& machine);

}  // namespace ys
