// NVDEC and the NV12 letterbox (issue 20) against the CPU decoder and the host letterbox, on the
// committed H.264/H.265 fixtures. The GPU cases skip without a device; the missing-driver case
// runs where libcuda.so.1 is absent (CI).
#include "backends/cuda/nvdec_decoder.h"

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "backends/cuda/nv12_letterbox.h"
#include "core/error.h"
#include "pipeline/demuxer.h"
#include "pipeline/letterbox.h"
#include "pipeline/source.h"
#include "test_data.h"
#include "test_gpu.h"

namespace ys {
namespace {

std::string fixture(const std::string& name) {
  return testing::source_dir() + "/tests/fixtures/video/" + name;
}

TEST(Nvdec, WithoutTheDriverSaysWhichLibraryIsMissing) {
  if (void* h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL)) {
    dlclose(h);
    GTEST_SKIP() << "this machine has libcuda.so.1";
  }
  try {
    cuda::NvdecDecoder d(cuda::NvdecCodec::kH264, 0);
    FAIL() << "created an NVDEC decoder without a driver";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_STREQ(e.what(), "NVDEC needs the NVIDIA driver's libcuda.so.1, not found here");
  }
}

struct Compared {
  int frames = 0;
  double mean_mae = 0, worst_mae = 0;  // in [0, 1] units of the model input
};

// Decodes the first `frames` frames on NVDEC and letterboxes them to 640x640; with `with_cpu`,
// also on the CPU (OpenCV) through the host letterbox, and compares the model inputs.
Compared decode(const std::string& path, cuda::NvdecCodec codec, int frames, bool with_cpu) {
  constexpr int kSize = 640;
  Demuxer demux(path);
  cuda::NvdecDecoder nvdec(codec, 0);
  SourceSpec spec;
  spec.source = path;
  std::unique_ptr<Source> cpu = with_cpu ? open_source(spec) : nullptr;
  const LetterboxInfo g = letterbox_geometry(demux.info().width, demux.info().height, kSize, kSize);
  const size_t n = 3u * kSize * kSize;
  float* device = nullptr;
  EXPECT_EQ(cudaMalloc(&device, n * sizeof(float)), cudaSuccess);
  cudaStream_t stream = nullptr;
  EXPECT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  std::vector<float> gpu_input(n), cpu_input(n);
  Compared c;
  bool ended = false;
  while (c.frames < frames && !ended) {
    auto packet = demux.next();
    ended = !packet.has_value();
    if (packet)
      nvdec.push(packet->data.data(), packet->data.size(), packet->pts);
    else
      nvdec.push(nullptr, 0, 0);
    cuda::NvdecSurface s;
    while (c.frames < frames && nvdec.map_next(s, stream)) {
      cuda::Nv12Letterbox job;
      job.luma = s.luma;
      job.chroma = s.chroma;
      job.pitch = s.pitch;
      job.src_width = s.width;
      job.src_height = s.height;
      job.resized_width = g.resized_width;
      job.resized_height = g.resized_height;
      job.pad_left = g.pad_left;
      job.pad_top = g.pad_top;
      job.nchw = device;
      job.width = job.height = kSize;
      cuda::launch_nv12_letterbox(job, stream);
      EXPECT_EQ(cudaMemcpyAsync(gpu_input.data(), device, n * sizeof(float), cudaMemcpyDeviceToHost,
                                stream),
                cudaSuccess);
      EXPECT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
      ++c.frames;
      if (!cpu) continue;
      Frame f;
      if (!cpu->next(f)) break;
      letterbox(f.image, kSize, kSize, cpu_input.data());
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += std::fabs(gpu_input[i] - cpu_input[i]);
      const double mae = sum / static_cast<double>(n);
      c.mean_mae += mae;
      c.worst_mae = std::max(c.worst_mae, mae);
    }
  }
  cudaStreamDestroy(stream);
  cudaFree(device);
  if (c.frames) c.mean_mae /= c.frames;
  return c;
}

TEST(Nvdec, H264VtestMatchesTheCpuDecoderWithinTheRoundingBound) {
  YS_REQUIRE_GPU();
#ifndef YS_HAVE_OPENCV
  GTEST_SKIP() << "built without OpenCV: no CPU video decoder to compare with";
#endif
  const Compared c = decode(fixture("vtest_h264.mp4"), cuda::NvdecCodec::kH264, 60, true);
  std::printf("NVDEC vs CPU, vtest_h264 60 frames: mean MAE %.5f (%.2f gray levels), worst %.5f\n",
              c.mean_mae, c.mean_mae * 255, c.worst_mae);
  EXPECT_EQ(c.frames, 60);
  // YUV-to-RGB rounding and float against fixed-point bilinear taps: a few gray levels at most.
  EXPECT_LT(c.worst_mae, 3.0 / 255);
}

TEST(Nvdec, DecodesEveryFrameOfTheH264AndH265Fixtures) {
  YS_REQUIRE_GPU();
  EXPECT_EQ(decode(fixture("vtest_h264.mp4"), cuda::NvdecCodec::kH264, 1000, false).frames, 795);
  EXPECT_EQ(decode(fixture("vtest_h265.mp4"), cuda::NvdecCodec::kHevc, 1000, false).frames, 795);
  EXPECT_EQ(decode(fixture("clip_1080p_h264.mp4"), cuda::NvdecCodec::kH264, 1000, false).frames,
            120);
}

}  // namespace
}  // namespace ys
