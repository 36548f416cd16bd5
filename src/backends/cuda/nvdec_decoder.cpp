// The parser calls back on the pushing thread: sequence (create the decoder), decode (start a
// picture on NVDEC) and display (queue it). Errors inside a callback cannot unwind through the
// driver, so they are kept and thrown from push().
#include "backends/cuda/nvdec_decoder.h"

#include <algorithm>
#include <deque>
#include <string>

#include "core/error.h"

// The loader would print its own failures to stderr; ours name the library in the exception.
#define FFNV_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#include <ffnvcodec/dynlink_loader.h>

namespace ys::cuda {
namespace {

// 10 spare surfaces keep 8 frames ahead (nvdec_decoder.h); 32 in all bounds the memory (a 4K
// NV12 surface is 12 MB). Neither figure has been tried on a GPU yet.
constexpr unsigned kMaxDecodeSurfaces = 32;
constexpr unsigned kSpareSurfaces = 10;

cudaVideoCodec codec_of(NvdecCodec c) {
  switch (c) {
    case NvdecCodec::kH264:
      return cudaVideoCodec_H264;
    case NvdecCodec::kHevc:
      return cudaVideoCodec_HEVC;
    case NvdecCodec::kAv1:
      return cudaVideoCodec_AV1;
    case NvdecCodec::kVp9:
      return cudaVideoCodec_VP9;
  }
  return cudaVideoCodec_H264;
}

const char* codec_name(cudaVideoCodec c) {
  switch (c) {
    case cudaVideoCodec_H264:
      return "H.264";
    case cudaVideoCodec_HEVC:
      return "H.265";
    case cudaVideoCodec_AV1:
      return "AV1";
    case cudaVideoCodec_VP9:
      return "VP9";
    default:
      return "this codec";
  }
}

}  // namespace

struct NvdecDecoder::State {
  CudaFunctions* cu = nullptr;
  CuvidFunctions* cuvid = nullptr;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUvideoctxlock lock = nullptr;
  CUvideoparser parser = nullptr;
  CUvideodecoder decoder = nullptr;
  cudaVideoCodec codec = cudaVideoCodec_H264;
  int width = 0, height = 0, surface_height = 0;
  int spare = 0;  // decode surfaces beyond the parser's minimum
  std::deque<CUVIDPARSERDISPINFO> frames;
  CUdeviceptr mapped = 0;
  std::string callback_error;
  // A picture that fails to decode is the data's fault (the caller skips it); anything the
  // sequence callback refuses is the stream's as a whole.
  ErrorKind callback_kind = ErrorKind::kUnsupported;

  ~State() {
    // The driver's calls act on the current context, which this thread may not hold.
    const bool pushed = cu && context && cu->cuCtxPushCurrent(context) == CUDA_SUCCESS;
    if (cuvid) {
      if (mapped) cuvid->cuvidUnmapVideoFrame(decoder, mapped);
      if (parser) cuvid->cuvidDestroyVideoParser(parser);
      if (decoder) cuvid->cuvidDestroyDecoder(decoder);
      if (lock) cuvid->cuvidCtxLockDestroy(lock);
    }
    if (pushed) {
      CUcontext popped = nullptr;
      cu->cuCtxPopCurrent(&popped);
    }
    if (cu && context) cu->cuDevicePrimaryCtxRelease(device);
    cuvid_free_functions(&cuvid);
    cuda_free_functions(&cu);
  }

  std::string message(CUresult r) const {
    const char* name = nullptr;
    if (cu && cu->cuGetErrorName) cu->cuGetErrorName(r, &name);
    return name ? name : cat("CUresult ", static_cast<int>(r));
  }

  void check(CUresult r, const char* what) const {
    if (r != CUDA_SUCCESS) fail(ErrorKind::kInternal, "NVDEC: ", what, " failed: ", message(r));
  }

  // The sequence callback's work: the first header creates the decoder; a later one of another
  // size is refused (a resolution change mid-stream would need cuvidReconfigureDecoder).
  int on_sequence(const CUVIDEOFORMAT& f) {
    const int w = f.display_area.right - f.display_area.left;
    const int h = f.display_area.bottom - f.display_area.top;
    if (decoder) {
      if (w == width && h == height) return 1;
      callback_error = cat("NVDEC: the stream changes size mid-way (", width, "x", height, " to ",
                           w, "x", h, "), which this decoder does not follow");
      return 0;
    }
    CUVIDDECODECAPS caps{};
    caps.eCodecType = f.codec;
    caps.eChromaFormat = f.chroma_format;
    caps.nBitDepthMinus8 = f.bit_depth_luma_minus8;
    if (cuvid->cuvidGetDecoderCaps(&caps) != CUDA_SUCCESS || !caps.bIsSupported ||
        f.coded_width > caps.nMaxWidth || f.coded_height > caps.nMaxHeight) {
      callback_error =
          cat("NVDEC on this GPU cannot decode ", codec_name(f.codec), " at ", f.coded_width, "x",
              f.coded_height, ", ", 8 + f.bit_depth_luma_minus8, "-bit");
      return 0;
    }
    if (f.bit_depth_luma_minus8 != 0 || f.chroma_format != cudaVideoChromaFormat_420) {
      callback_error = "NVDEC: only 8-bit 4:2:0 streams go to the NV12 letterbox so far";
      return 0;
    }
    CUVIDDECODECREATEINFO ci{};
    ci.ulWidth = f.coded_width;
    ci.ulHeight = f.coded_height;
    // Beyond the parser's minimum (its reference and reordering pictures), spare surfaces hold
    // the frames shown but not yet mapped, which a caller decoding ahead keeps waiting.
    ci.ulNumDecodeSurfaces = std::max<unsigned>(
        f.min_num_decode_surfaces,
        std::min<unsigned>(f.min_num_decode_surfaces + kSpareSurfaces, kMaxDecodeSurfaces));
    ci.CodecType = f.codec;
    ci.ChromaFormat = f.chroma_format;
    ci.ulCreationFlags = cudaVideoCreate_PreferCUVID;
    ci.display_area.left = static_cast<short>(f.display_area.left);
    ci.display_area.top = static_cast<short>(f.display_area.top);
    ci.display_area.right = static_cast<short>(f.display_area.right);
    ci.display_area.bottom = static_cast<short>(f.display_area.bottom);
    ci.OutputFormat = cudaVideoSurfaceFormat_NV12;
    ci.DeinterlaceMode =
        f.progressive_sequence ? cudaVideoDeinterlaceMode_Weave : cudaVideoDeinterlaceMode_Adaptive;
    ci.ulTargetWidth = w;
    ci.ulTargetHeight = h;
    ci.ulNumOutputSurfaces = 2;
    ci.vidLock = lock;
    if (CUresult r = cuvid->cuvidCreateDecoder(&decoder, &ci); r != CUDA_SUCCESS) {
      callback_error = cat("NVDEC: cannot create the decoder: ", message(r));
      return 0;
    }
    width = w;
    height = h;
    surface_height = (h + 1) & ~1;
    spare = static_cast<int>(ci.ulNumDecodeSurfaces) - f.min_num_decode_surfaces;
    return static_cast<int>(ci.ulNumDecodeSurfaces);
  }

  static int CUDAAPI sequence_cb(void* self, CUVIDEOFORMAT* f) {
    return static_cast<State*>(self)->on_sequence(*f);
  }
  // A frame shown but not yet mapped still holds its surface, which the parser counts as free:
  // decoding into it would replace the picture under that frame. The caller's bound on pushes
  // ahead (max_ahead) should make this impossible; should it happen, the frame is dropped and
  // said, not delivered with another picture's pixels.
  void drop_overwritten(int picture_index) {
    for (auto it = frames.begin(); it != frames.end();) {
      if (it->picture_index != picture_index) {
        ++it;
        continue;
      }
      callback_error = cat("NVDEC: a decoded frame (timestamp ", it->timestamp,
                           ") was overwritten before it was mapped (decoding ran too far "
                           "ahead); dropped");
      callback_kind = ErrorKind::kBadInput;
      it = frames.erase(it);
    }
  }

  static int CUDAAPI decode_cb(void* self, CUVIDPICPARAMS* pic) {
    auto* s = static_cast<State*>(self);
    s->drop_overwritten(pic->CurrPicIdx);
    if (CUresult r = s->cuvid->cuvidDecodePicture(s->decoder, pic); r != CUDA_SUCCESS) {
      s->callback_error = cat("NVDEC: a picture did not decode: ", s->message(r));
      s->callback_kind = ErrorKind::kBadInput;
      return 0;
    }
    return 1;
  }
  static int CUDAAPI display_cb(void* self, CUVIDPARSERDISPINFO* info) {
    if (info) static_cast<State*>(self)->frames.push_back(*info);  // nullptr: end of stream
    return 1;
  }
};

NvdecDecoder::NvdecDecoder(NvdecCodec codec, int device) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.codec = codec_of(codec);
  if (cuda_load_functions(&s.cu, nullptr) < 0)
    fail(ErrorKind::kUnsupported, "NVDEC needs the NVIDIA driver's libcuda.so.1, not found here");
  if (cuvid_load_functions(&s.cuvid, nullptr) < 0)
    fail(ErrorKind::kUnsupported,
         "NVDEC needs the NVIDIA driver's video decoder, libnvcuvid.so.1, not found here");
  s.check(s.cu->cuInit(0), "cuInit");
  s.check(s.cu->cuDeviceGet(&s.device, device), "cuDeviceGet");
  // The runtime API's own context, so that the surfaces are visible to the backend's kernels.
  s.check(s.cu->cuDevicePrimaryCtxRetain(&s.context, s.device), "cuDevicePrimaryCtxRetain");
  s.check(s.cuvid->cuvidCtxLockCreate(&s.lock, s.context), "cuvidCtxLockCreate");
  CUVIDPARSERPARAMS p{};
  p.CodecType = s.codec;
  p.ulMaxNumDecodeSurfaces = 1;  // raised by the sequence callback's return value
  p.ulMaxDisplayDelay = 0;       // a frame leaves as soon as it may: lowest latency
  p.pUserData = &s;
  p.pfnSequenceCallback = &State::sequence_cb;
  p.pfnDecodePicture = &State::decode_cb;
  p.pfnDisplayPicture = &State::display_cb;
  s.check(s.cuvid->cuvidCreateVideoParser(&s.parser, &p), "cuvidCreateVideoParser");
}

NvdecDecoder::~NvdecDecoder() = default;

void NvdecDecoder::push(const uint8_t* data, size_t size, int64_t pts) {
  State& s = *state_;
  CUVIDSOURCEDATAPACKET packet{};
  packet.payload = data;
  packet.payload_size = static_cast<unsigned long>(size);
  packet.flags = CUVID_PKT_TIMESTAMP | (size == 0 ? CUVID_PKT_ENDOFSTREAM : 0);
  packet.timestamp = pts;
  s.check(s.cu->cuCtxPushCurrent(s.context), "cuCtxPushCurrent");
  const CUresult r = s.cuvid->cuvidParseVideoData(s.parser, &packet);
  CUcontext popped = nullptr;
  s.cu->cuCtxPopCurrent(&popped);
  if (!s.callback_error.empty()) {
    std::string e;
    e.swap(s.callback_error);
    const ErrorKind kind = s.callback_kind;
    s.callback_kind = ErrorKind::kUnsupported;
    fail(kind, e);
  }
  if (r != CUDA_SUCCESS)
    fail(ErrorKind::kBadInput, "NVDEC: the parser refused a packet: ", s.message(r));
}

bool NvdecDecoder::map_next(NvdecSurface& out, void* stream) {
  State& s = *state_;
  if (s.mapped) {
    s.check(s.cu->cuCtxPushCurrent(s.context), "cuCtxPushCurrent");
    CUdeviceptr m = s.mapped;
    s.mapped = 0;
    const CUresult r = s.cuvid->cuvidUnmapVideoFrame(s.decoder, m);
    CUcontext popped = nullptr;
    s.cu->cuCtxPopCurrent(&popped);
    s.check(r, "cuvidUnmapVideoFrame");
  }
  if (s.frames.empty()) return false;
  const CUVIDPARSERDISPINFO info = s.frames.front();
  s.frames.pop_front();
  CUVIDPROCPARAMS vp{};
  vp.progressive_frame = info.progressive_frame;
  vp.second_field = info.repeat_first_field + 1;
  vp.top_field_first = info.top_field_first;
  vp.unpaired_field = info.repeat_first_field < 0;
  vp.output_stream = static_cast<CUstream>(stream);
  unsigned int pitch = 0;
  s.check(s.cu->cuCtxPushCurrent(s.context), "cuCtxPushCurrent");
  const CUresult r =
      s.cuvid->cuvidMapVideoFrame(s.decoder, info.picture_index, &s.mapped, &pitch, &vp);
  CUcontext popped = nullptr;
  s.cu->cuCtxPopCurrent(&popped);
  s.check(r, "cuvidMapVideoFrame");
  const auto* base = reinterpret_cast<const uint8_t*>(s.mapped);
  out.luma = base;
  out.chroma = base + static_cast<size_t>(pitch) * s.surface_height;
  out.pitch = static_cast<int>(pitch);
  out.width = s.width;
  out.height = s.height;
  out.pts = info.timestamp;
  return true;
}

size_t NvdecDecoder::ready() const {
  return state_->frames.size();
}

int NvdecDecoder::max_ahead() const {
  // Two spares stay back: the surface of the frame being mapped and a margin for a picture the
  // parser starts while the consumer maps.
  return std::max(1, state_->spare - 2);
}

}  // namespace ys::cuda
