// The GPU letterbox, box decoding and NMS against the host pipeline they replace: the letterbox
// must give the host's float32 input bit for bit, and decode + NMS the same candidates count and
// the same detections, field for field and in the same order. Tests skip without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/cuda_prepost.h"
#include "core/error.h"
#include "pipeline/letterbox.h"
#include "pipeline/postprocess.h"
#include "test_gpu.h"

namespace ys {
namespace {

struct Gpu {
  std::shared_ptr<Backend> backend = make_cuda_backend();
  std::shared_ptr<cuda::Context> ctx = cuda_context_of(*backend);
};

// A picture with edges, gradients and noise, so every interpolation weight matters.
Tensor test_image(int height, int width, uint32_t seed) {
  Tensor img(DType::kUInt8, {height, width, 3});
  std::mt19937 rng(seed);
  uint8_t* p = img.ptr<uint8_t>();
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) {
        const int v = ((x * 7 + y * 3) >> (c + 1)) + ((x / 5 + y / 3) % 2) * 60 +
                      static_cast<int>(rng() % 48);
        p[(static_cast<size_t>(y) * width + x) * 3 + c] = static_cast<uint8_t>(v & 255);
      }
  return img;
}

Tensor download(const void* device, const Shape& shape) {
  Tensor t(DType::kFloat32, shape);
  cuda::check(cudaMemcpy(t.data(), device, t.nbytes(), cudaMemcpyDeviceToHost), "test download");
  return t;
}

// Runs the GPU letterbox of `images` into a [slots, 3, h, w] input pre-filled with NaN bytes and
// holds it against the host letterbox into a tensor filled the same way: untouched slots must
// stay untouched.
void expect_same_letterbox(const std::vector<Tensor>& images, int slots, int w, int h) {
  Gpu gpu;
  cuda::PrePost pp(gpu.ctx);
  const Shape shape{slots, 3, h, w};
  Tensor want(DType::kFloat32, shape);
  std::memset(want.data(), 0xff, want.nbytes());
  cuda::DeviceBuffer dev(want.nbytes(), "test input");
  cuda::check(cudaMemset(dev.get(), 0xff, want.nbytes()), "test fill");

  std::vector<const Tensor*> ptrs;
  std::vector<LetterboxPlacement> at;
  std::ostringstream what;
  for (size_t i = 0; i < images.size(); ++i) {
    const Tensor& img = images[i];
    const LetterboxInfo g = letterbox(img, w, h, want.ptr<float>(), static_cast<int>(i));
    ptrs.push_back(&img);
    at.push_back({g.resized_width, g.resized_height, g.pad_left, g.pad_top});
    what << (i ? ", " : "") << img.dim(1) << "x" << img.dim(0) << " -> " << g.resized_width << "x"
         << g.resized_height << "+" << g.pad_left << "+" << g.pad_top;
  }
  pp.letterbox(ptrs, at, Tensor::view(DType::kFloat32, shape, dev.get()));
  pp.synchronize();
  const Tensor got = download(dev.get(), shape);

  const auto* a = static_cast<const uint32_t*>(got.data());
  const auto* b = static_cast<const uint32_t*>(want.data());
  int64_t differ = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    if (a[i] == b[i]) continue;
    if (first < 0) first = i;
    ++differ;
    worst = std::max(worst, std::fabs(static_cast<double>(got.ptr<float>()[i]) -
                                      static_cast<double>(want.ptr<float>()[i])) *
                                255.0);
  }
  if (differ == 0) return;
  const int64_t plane = static_cast<int64_t>(w) * h;
  ADD_FAILURE() << "model input " << w << "x" << h << " from [" << what.str() << "]: " << differ
                << " of " << got.numel() << " values differ, the largest by " << worst
                << " gray levels; first at slot " << first / (3 * plane) << ", channel "
                << (first / plane) % 3 << ", y " << (first % plane) / w << ", x " << first % w
                << ": GPU " << got.ptr<float>()[first] << ", host " << want.ptr<float>()[first];
}

TEST(CudaPrePostLetterbox, EqualsHostLetterboxOnOddSizes) {
  YS_REQUIRE_GPU();
  const std::vector<std::pair<int, int>> sizes = {{1, 1},     {17, 33},   {33, 17},  {1080, 1920},
                                                  {480, 640}, {640, 640}, {3, 1000}, {1000, 3},
                                                  {641, 639}, {2, 2}};
  uint32_t seed = 1;
  for (const auto& [hh, ww] : sizes) {
    SCOPED_TRACE(std::to_string(ww) + "x" + std::to_string(hh));
    expect_same_letterbox({test_image(hh, ww, seed++)}, 1, 640, 640);
    expect_same_letterbox({test_image(hh, ww, seed++)}, 1, 640, 384);  // a rectangular model
  }
}

TEST(CudaPrePostLetterbox, BatchOfTwoLeavesTheThirdSlotAlone) {
  YS_REQUIRE_GPU();
  expect_same_letterbox({test_image(1080, 1920, 7), test_image(17, 33, 8)}, 3, 640, 640);
  expect_same_letterbox({test_image(480, 640, 9), test_image(640, 480, 10)}, 2, 320, 320);
}

TEST(CudaPrePostLetterbox, BadImagesAndInputsAreNamed) {
  YS_REQUIRE_GPU();
  Gpu gpu;
  cuda::PrePost pp(gpu.ctx);
  cuda::DeviceBuffer dev(3 * 64 * 64 * sizeof(float), "test input");
  const Tensor input = Tensor::view(DType::kFloat32, {1, 3, 64, 64}, dev.get());
  const Tensor good = test_image(8, 8, 1), bad(DType::kFloat32, {8, 8, 3});
  try {
    pp.letterbox({&good, &bad}, {{64, 64, 0, 0}, {64, 64, 0, 0}}, input);
    FAIL() << "two images for a batch of one were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch 1"), std::string::npos) << e.what();
  }
  try {
    pp.letterbox({&good}, {{64, 64, 0, 0}}, Tensor(DType::kFloat32, {1, 3, 64, 64}));
    FAIL() << "a host tensor was taken for the device input";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("device memory"), std::string::npos) << e.what();
  }
  cuda::DeviceBuffer dev2(2 * 3 * 64 * 64 * sizeof(float), "test input");
  const Tensor two = Tensor::view(DType::kFloat32, {2, 3, 64, 64}, dev2.get());
  try {
    pp.letterbox({&good, &bad}, {{64, 64, 0, 0}, {64, 64, 0, 0}}, two);
    FAIL() << "a float image was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("image 1"), std::string::npos) << e.what();
  }
  try {
    pp.letterbox({&good}, {{64, 64, 1, 0}}, input);
    FAIL() << "a placement past the edge was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image 0"), std::string::npos) << e.what();
  }
}

struct PredSpec {
  int batch = 1, nc = 80, anchors = 8400;
  float spread = 640;     // box centres in [0, spread)
  int clusters = 40;      // centres are drawn near this many points, so boxes overlap
  bool specials = false;  // some scores are NaN, 0 or -0
  uint32_t seed = 1;
};

// A raw head output [batch, 4 + nc, anchors]. Boxes of a cluster have similar sizes and
// centres, so their IoUs spread around the thresholds. Scores are multiples of 1/64, so best
// classes tie within an anchor and candidates tie across anchors: both orders are part of the
// contract.
Tensor make_pred(const PredSpec& s) {
  Tensor t(DType::kFloat32, {s.batch, 4 + s.nc, s.anchors});
  std::mt19937 rng(s.seed);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  struct Cluster {
    float x, y, w, h;
  };
  for (int b = 0; b < s.batch; ++b) {
    std::vector<Cluster> clusters(static_cast<size_t>(s.clusters));
    for (Cluster& c : clusters)
      c = {unit(rng) * s.spread, unit(rng) * s.spread, 8.f + unit(rng) * 160.f,
           8.f + unit(rng) * 160.f};
    float* p = t.ptr<float>() + static_cast<int64_t>(b) * (4 + s.nc) * s.anchors;
    for (int a = 0; a < s.anchors; ++a) {
      const Cluster& c = clusters[rng() % clusters.size()];
      p[a] = c.x + (unit(rng) - 0.5f) * 0.3f * c.w;
      p[s.anchors + a] = c.y + (unit(rng) - 0.5f) * 0.3f * c.h;
      p[2 * s.anchors + a] = c.w * (0.8f + 0.4f * unit(rng));
      p[3 * s.anchors + a] = c.h * (0.8f + 0.4f * unit(rng));
      for (int k = 0; k < s.nc; ++k) {
        float v = static_cast<float>(rng() % 64) / 64.f;
        if (s.specials && rng() % 50 == 0) {
          const float special[] = {NAN, 0.f, -0.f};
          v = special[rng() % 3];
        }
        p[static_cast<int64_t>(4 + k) * s.anchors + a] = v;
      }
    }
  }
  return t;
}

std::string show(const Detection& d) {
  std::ostringstream os;
  os.precision(9);
  os << "[" << d.x1 << ", " << d.y1 << ", " << d.x2 << ", " << d.y2 << "] conf " << d.conf
     << " class " << d.cls;
  return os.str();
}

// decode + NMS of the first `images` images on the GPU against decode_candidates +
// nms_candidates on the host: same candidate count, same detections bit for bit, same order.
void expect_same_nms(const PredSpec& s, const NmsOptions& o, int images = -1) {
  Gpu gpu;
  cuda::PrePost pp(gpu.ctx);
  if (images < 0) images = s.batch;
  const Tensor pred = make_pred(s);
  cuda::DeviceBuffer dev(pred.nbytes(), "test output");
  cuda::check(cudaMemcpy(dev.get(), pred.data(), pred.nbytes(), cudaMemcpyHostToDevice),
              "test upload");
  const DeviceNmsOptions d{o.conf, o.iou, o.max_det, o.max_nms, o.agnostic, o.classes, o.max_wh};
  pp.decode(Tensor::view(DType::kFloat32, pred.shape(), dev.get()), images, d);
  pp.nms();
  pp.synchronize();
  const int channels = 4 + s.nc;
  for (int b = 0; b < images; ++b) {
    SCOPED_TRACE("image " + std::to_string(b));
    const float* p = pred.ptr<float>() + static_cast<int64_t>(b) * channels * s.anchors;
    const std::vector<Detection> cand = decode_candidates(p, channels, s.anchors, o);
    const std::vector<Detection> want = nms_candidates(cand, o);
    EXPECT_EQ(pp.candidates(b), static_cast<int>(cand.size()));
    const std::vector<cuda::GpuDetection> got = pp.detections(b);
    ASSERT_EQ(got.size(), want.size()) << cand.size() << " candidates";
    for (size_t i = 0; i < want.size(); ++i) {
      const Detection g{got[i].x1, got[i].y1, got[i].x2, got[i].y2, got[i].conf, got[i].cls};
      const bool same =
          std::memcmp(&g.x1, &want[i].x1, 5 * sizeof(float)) == 0 && g.cls == want[i].cls;
      ASSERT_TRUE(same) << "detection " << i << " of " << want.size() << ": GPU " << show(g)
                        << ", host " << show(want[i]);
    }
  }
}

TEST(CudaPrePostNms, DefaultsOnOverlappingBoxes) {
  YS_REQUIRE_GPU();
  expect_same_nms({}, {});
}

TEST(CudaPrePostNms, AgnosticOnAndOff) {
  YS_REQUIRE_GPU();
  for (bool agnostic : {false, true}) {
    SCOPED_TRACE(agnostic ? "agnostic" : "per class");
    NmsOptions o;
    o.agnostic = agnostic;
    o.conf = 0.5f;
    expect_same_nms({.seed = 3}, o);
    o.iou = 0.3;
    expect_same_nms({.nc = 3, .clusters = 5, .seed = 4}, o);
  }
}

TEST(CudaPrePostNms, MoreCandidatesThanMaxDetAndMaxNms) {
  YS_REQUIRE_GPU();
  NmsOptions o;
  o.conf = 0.f;  // every anchor whose best score is above 0
  expect_same_nms({.clusters = 400, .seed = 5}, o);
  o.max_det = 7;
  expect_same_nms({.clusters = 400, .seed = 6}, o);
  o.max_det = 300;
  o.max_nms = 500;
  expect_same_nms({.clusters = 400, .seed = 7}, o);
  o.max_nms = 64;  // exactly one mask word
  expect_same_nms({.seed = 8}, o);
  o.max_nms = 65;
  expect_same_nms({.seed = 9}, o);
}

TEST(CudaPrePostNms, BoxesBeyondTheClassOffsetAndPartialBatches) {
  YS_REQUIRE_GPU();
  NmsOptions o;
  o.conf = 0.4f;
  // Coordinates past max_wh: the host compares every pair instead of per class.
  expect_same_nms({.batch = 3, .nc = 20, .anchors = 3000, .spread = 20000, .seed = 10}, o, 2);
  expect_same_nms({.batch = 4, .nc = 20, .anchors = 3000, .seed = 11}, o, 4);
}

TEST(CudaPrePostNms, ClassFilterThresholdsAndSpecialScores) {
  YS_REQUIRE_GPU();
  NmsOptions o;
  o.classes = {0, 3, 79, 200, -1};
  o.conf = 0.1f;
  expect_same_nms({.seed = 12}, o);
  o.classes.clear();
  o.conf = -0.5f;  // zeros and minus zeros enter and must sort as equals
  expect_same_nms({.nc = 4, .anchors = 2000, .specials = true, .seed = 13}, o);
  o.conf = 2.f;  // nothing passes
  expect_same_nms({.seed = 14}, o);
  o.conf = 0.25f;
  o.iou = 0.0;  // any overlap suppresses
  o.max_det = 1;
  expect_same_nms({.seed = 15}, o);
  o.iou = 1.0;  // nothing suppresses
  o.max_det = 300;
  expect_same_nms({.seed = 16}, o);
}

TEST(CudaPrePostNms, TinyAndLargeHeads) {
  YS_REQUIRE_GPU();
  NmsOptions o;
  o.conf = 0.f;
  for (int anchors : {1, 2, 63, 64, 65, 129})
    expect_same_nms({.nc = 1, .anchors = anchors, .clusters = 3, .seed = 20u + anchors}, o);
  // A 1280 input: 33600 anchors, 30000 candidates into NMS.
  expect_same_nms({.anchors = 33600, .spread = 1280, .clusters = 2000, .seed = 30}, o);
}

TEST(CudaPrePostNms, OutputsThatAreNotHeadsAreRefused) {
  YS_REQUIRE_GPU();
  Gpu gpu;
  cuda::PrePost pp(gpu.ctx);
  cuda::DeviceBuffer dev(4 * 10 * sizeof(float), "test output");
  try {
    pp.decode(Tensor::view(DType::kFloat32, {1, 4, 10}, dev.get()), 1, {});
    FAIL() << "an output without class scores was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[1, 4, 10]"), std::string::npos) << e.what();
  }
  try {
    pp.decode(Tensor(DType::kFloat32, {1, 6, 10}), 1, {});
    FAIL() << "a host output was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("device memory"), std::string::npos) << e.what();
  }
}

// Pinned staging memory on the GPU's NUMA node (issue 21): the pages are where the kernel says,
// the buffer serves an asynchronous round trip through the device, and this device's node is
// sysfs' (or -1 on a host of one node).
TEST(CudaPinnedBuffer, PlacedOnANumaNodeAndCopiedThrough) {
  YS_REQUIRE_GPU();
  Gpu gpu;
  const int node = cuda::device_numa_node(gpu.ctx->device);
  EXPECT_TRUE(node == -1 || online_numa_nodes() > 1) << "node " << node;
  cuda::PinnedBuffer pinned(size_t{1} << 20, "test staging", 0);
  ASSERT_NE(pinned.get(), nullptr);
  EXPECT_EQ(pinned.numa_node(), 0) << "node 0 exists on every host";
  EXPECT_EQ(numa_node_of_page(pinned.get()), 0);
  auto* bytes = static_cast<uint8_t*>(pinned.get());
  for (size_t i = 0; i < pinned.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 31);
  cuda::DeviceBuffer dev(pinned.size(), "test device copy");
  cuda::check(
      cudaMemcpyAsync(dev.get(), bytes, pinned.size(), cudaMemcpyHostToDevice, gpu.ctx->s()),
      "test upload");
  cuda::check(cudaStreamSynchronize(gpu.ctx->s()), "test upload sync");
  std::memset(bytes, 0, pinned.size());
  cuda::check(
      cudaMemcpyAsync(bytes, dev.get(), pinned.size(), cudaMemcpyDeviceToHost, gpu.ctx->s()),
      "test download");
  cuda::check(cudaStreamSynchronize(gpu.ctx->s()), "test download sync");
  for (size_t i = 0; i < pinned.size(); i += 4093)
    ASSERT_EQ(bytes[i], static_cast<uint8_t>(i * 31)) << "byte " << i;
  cuda::PinnedBuffer moved = std::move(pinned);
  EXPECT_EQ(moved.numa_node(), 0);
  EXPECT_EQ(pinned.get(), nullptr);
}

}  // namespace
}  // namespace ys
