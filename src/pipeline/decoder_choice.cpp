// The fallback order follows what a user can fix first: the device argument, then the driver,
// then the build, then the file.
#include "pipeline/decoder_choice.h"

#include <dlfcn.h>

#include "core/error.h"
#include "pipeline/annexb_reader.h"
#include "pipeline/source.h"

#ifdef YS_HAVE_LIBAV
#include "pipeline/demuxer.h"
#endif

namespace ys {
namespace {

bool library_loads(const char* name) {
  void* handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
  if (!handle) return false;
  dlclose(handle);
  return true;
}

bool is_stream_url(const std::string& s) {
  return s.rfind("rtsp://", 0) == 0 || s.rfind("rtsps://", 0) == 0 || s.rfind("http://", 0) == 0 ||
         s.rfind("https://", 0) == 0;
}

std::string cpu_note(std::string_view requested, const std::string& why) {
  return cat("decoder=", requested, ": ", why, "; decoding on the CPU");
}

// A video the demuxer can read, on a machine whose driver has NVDEC: whether NVDEC takes its
// codec. `requested` names the argument in the note.
DecoderChoice probe_codec(std::string_view requested, const std::string& source) {
  // A raw H.264/H.265 stream needs no demuxer: its own reader checks it, in any build.
  if (is_annexb_path(source)) {
    try {
      AnnexbReader probe(source);
    } catch (const Error& e) {
      return {DecoderKind::kCpu, requested == "nvdec" ? cpu_note("nvdec", e.what()) : ""};
    }
    return {DecoderKind::kNvdec, "", true};
  }
#ifdef YS_HAVE_LIBAV
  // A live stream is not opened twice (a camera may take one client): the NVDEC source learns
  // its codec as it opens it, and falls back there.
  if (is_stream_url(source)) return {DecoderKind::kNvdec, "", false};
  try {
    Demuxer probe(source);
    if (!nvdec_can_decode(probe.info().codec)) {
      std::string note = nvdec_codec_fallback_note(source, probe.info());
      if (requested != "nvdec") note.clear();
      return {DecoderKind::kCpu, note};
    }
  } catch (const Error& e) {
    // The CPU decoder opens the source next and says what is wrong with it in its own words.
    return {DecoderKind::kCpu,
            requested == "nvdec"
                ? cpu_note("nvdec", cat("the demuxer cannot read it (", e.what(), ")"))
                : ""};
  }
  return {DecoderKind::kNvdec, "", true};
#else
  (void)source;
  return {DecoderKind::kCpu, requested == "nvdec"
                                 ? cpu_note("nvdec",
                                            "this build has no libavformat to demux it (Debian "
                                            "libavformat-dev)")
                                 : ""};
#endif
}

DecoderChoice choose_nvdec(const std::string& source, const DecoderMachine& m) {
  if (!is_video_path(source) && !is_stream_url(source))
    return {DecoderKind::kCpu, cpu_note("nvdec", cat(source, " is not a video file or stream"))};
  if (!m.cuda_device)
    return {DecoderKind::kCpu, cpu_note("nvdec", "NVDEC needs a CUDA device (device=0)")};
  if (!m.cuda_driver)
    return {DecoderKind::kCpu, cpu_note("nvdec", "no NVIDIA driver here (libcuda.so.1)")};
  if (!m.nvcuvid)
    return {DecoderKind::kCpu,
            cpu_note("nvdec", "the NVIDIA driver here has no video decoder (libnvcuvid.so.1)")};
  return probe_codec("nvdec", source);
}

// auto takes NVDEC where nvdec would run, and says nothing either way; cpu stays on the CPU but
// still learns the codec on a GPU, for the advisor.
DecoderChoice choose_auto_or_cpu(std::string_view requested, const std::string& source,
                                 const DecoderMachine& m) {
  if (!m.cuda_device || (!is_video_path(source) && !is_stream_url(source))) return {};
  DecoderChoice c = probe_codec(requested, source);
  if (requested == "cpu" || !m.cuda_driver || !m.nvcuvid) c.kind = DecoderKind::kCpu;
  return c;
}

DecoderChoice choose_nvjpeg(const std::string& source, const DecoderMachine& m) {
  if (is_video_path(source) || is_stream_url(source) || source == "synthetic" || source == "-")
    return {DecoderKind::kCpu, cpu_note("nvjpeg", cat("nvJPEG decodes image files, not ", source))};
  if (!m.cuda_device)
    return {DecoderKind::kCpu, cpu_note("nvjpeg", "nvJPEG needs a CUDA device (device=0)")};
  if (!m.cuda_driver)
    return {DecoderKind::kCpu, cpu_note("nvjpeg", "no NVIDIA driver here (libcuda.so.1)")};
  if (!m.nvjpeg) return {DecoderKind::kCpu, cpu_note("nvjpeg", "libnvjpeg is not installed")};
  return {DecoderKind::kCpu,
          cpu_note("nvjpeg", "the nvJPEG frame path is not in the frame loop yet (issue 20)")};
}

}  // namespace

DecoderMachine probe_decoder_machine(bool cuda_device) {
  DecoderMachine m;
  m.cuda_device = cuda_device;
  if (!cuda_device) return m;  // nothing would use them: skip loading the driver
  m.cuda_driver = library_loads("libcuda.so.1");
  m.nvcuvid = library_loads("libnvcuvid.so.1");
  m.nvjpeg = library_loads("libnvjpeg.so") || library_loads("libnvjpeg.so.12");
  return m;
}

DecoderChoice choose_decoder(std::string_view requested, const std::string& source,
                             const DecoderMachine& machine) {
  if (requested == "nvdec") return choose_nvdec(source, machine);
  if (requested == "nvjpeg") return choose_nvjpeg(source, machine);
  if (requested == "auto" || requested == "cpu")
    return choose_auto_or_cpu(requested, source, machine);
  fail(ErrorKind::kInvalidArgument, "decoder=", requested,
       " is not one of auto, cpu, nvdec, nvjpeg");
}

DecoderChoice confirm_decoder(DecoderChoice choice, std::string_view requested, int detectors,
                              bool gpu_pipeline) {
  if (choice.kind != DecoderKind::kNvdec) return choice;
  std::string why;
  if (detectors > 1)
    why = cat("NVDEC feeds one detector's input on the GPU, and this run has ", detectors,
              " (streams=, device=)");
  else if (!gpu_pipeline)
    why = "NVDEC feeds the GPU pipeline's input, which is off (gpu_pipeline=False)";
  if (why.empty()) return choice;
  choice.kind = DecoderKind::kCpu;
  choice.note = requested == "nvdec" ? cpu_note("nvdec", why) : "";
  return choice;
}

const char* decoder_name(DecoderKind kind) {
  switch (kind) {
    case DecoderKind::kCpu:
      return "cpu";
    case DecoderKind::kNvdec:
      return "nvdec";
    case DecoderKind::kNvjpeg:
      return "nvjpeg";
  }
  return "cpu";
}

}  // namespace ys
