// pipeline.decode_bound (issue 20.4) on constructed figures: when it fires, its fix and its
// estimate, and every condition that keeps it quiet.
#include <gtest/gtest.h>

#include "analysis/advisor.h"
#include "analysis/decode_bound.h"

namespace ys {
namespace {

// vtest.avi on an H200 as gpu_check found it: ~1,038 frames/s of CPU decoding, 0.46 ms a frame of
// detection.
DecodeFacts cpu_bound() {
  DecodeFacts d;
  d.on_gpu = true;
  d.frames = 795;
  d.wall_ms = 795 / 1.0;  // 1,000 frames/s
  d.decode_ms = 0.95 * d.wall_ms;
  d.detect_busy_ms = 795 * 0.46;
  return d;
}

TEST(DecodeBound, FiresOnAGpuRunBoundByCpuDecodingWithNvdecAsTheFix) {
  const auto f = decode_bound_finding(cpu_bound());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->id, "pipeline.decode_bound");
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_EQ(f->finding,
            "CPU decoding bounds the run: it was busy 95.0% of the run while the GPU's detection "
            "filled 46.0% (1000 frames/s)");
  EXPECT_EQ(f->fix, "decoder=nvdec (decode on the GPU, straight into the model's input)");
  EXPECT_TRUE(f->settings.empty()) << "decoder= is not a detector option the what-if can try";
  EXPECT_NEAR(f->expected_gain_pct, 54.0, 1e-9);
}

TEST(DecodeBound, AsksForNvjpegOnImages) {
  DecodeFacts d = cpu_bound();
  d.video = false;
  const auto f = decode_bound_finding(d);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->fix, "decoder=nvjpeg (decode on the GPU, straight into the model's input)");
}

TEST(DecodeBound, StaysQuietWhereTheGpuDecoderWouldNotHelp) {
  DecodeFacts d = cpu_bound();
  d.on_gpu = false;  // the model on the CPU: decoding on the GPU is no fix
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.decoder = "nvdec";  // already decoding on the GPU
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.gpu_codec = false;  // DivX 3: NVDEC cannot take it
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.decode_ms = 0.79 * d.wall_ms;  // decoding is not the bound
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.detect_busy_ms = 0.6 * d.wall_ms;  // detection fills the run enough
  EXPECT_FALSE(decode_bound_finding(d));
  d = cpu_bound();
  d.wall_ms = 0;  // no run
  EXPECT_FALSE(decode_bound_finding(d));
}

}  // namespace
}  // namespace ys
