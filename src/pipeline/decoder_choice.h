// Which decoder a run uses (issue 20's decoder=auto|cpu|nvdec|nvjpeg), decided once before the
// run from the source, the device and what this machine has. A GPU decoder asked for where it
// cannot work falls back to the CPU with one line saying why: no CUDA device, no NVIDIA driver
// libraries, no libavformat in this build, a codec NVDEC cannot decode, several detectors or no
// GPU pipeline to feed. auto picks NVDEC, silently, for a video whose codec it takes on a ready
// GPU, and the CPU everywhere else. nvJPEG's frame path is not in the frame loop yet: nvjpeg
// says so and decodes on the CPU.
#pragma once

#include <string>
#include <string_view>

namespace ys {

enum class DecoderKind { kCpu, kNvdec, kNvjpeg };

struct DecoderChoice {
  DecoderKind kind = DecoderKind::kCpu;
  // One line for the user when the run does not get what was asked; empty otherwise.
  std::string note;
  // The source is a video whose codec NVDEC takes (H.264, H.265, AV1, VP9), as the demuxer found
  // where it was asked (a video file on a CUDA device; a stream URL is not opened to ask): the
  // advisor's pipeline.decode_bound reads it.
  bool gpu_codec = false;
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

// The choice once the run's detectors are known: NVDEC letterboxes frames straight into one
// detector's input on the GPU, so several detectors (streams=, device=0,1) or a detector without
// the GPU pipeline (gpu_pipeline=False) decode on the CPU; decoder=nvdec says why, auto does not.
DecoderChoice confirm_decoder(DecoderChoice choice, std::string_view requested, int detectors,
                              bool gpu_pipeline);

// "cpu", "nvdec" or "nvjpeg", as the decoder= argument spells it.
const char* decoder_name(DecoderKind kind);

}  // namespace ys
