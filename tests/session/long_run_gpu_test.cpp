// The long run's GPU side on a real Detector (a built-in YOLOv8n at 64x64 on the CPU) with a
// stand-in for CUPTI: a ring whose source, like the tracer's, calibrates the clocks at each
// flush, and records the test adds in each frame the run arms. The run's own tick (once a
// second) and its final flush must fill the flight records of planted stalls with the armed
// frames' kernels, copies and waits, and say what was traced in long.gpu_kernels.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "core/clock.h"
#include "session/long_run.h"
#include "session_fixture.h"

namespace ys {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kOffset = int64_t{1} << 58;  // CUPTI's clock, far from the host's

TEST(LongRunGpu, FlightRecordsOfPlantedStallsHoldTheArmedFramesGpuWork) {
  const fs::path dir = session_test::fresh_dir("yoloscope_long_run_gpu_test", "stalls");
  fs::create_directories(dir);
  Detector det(session_test::tiny_cpu());
  auto ring = std::make_shared<GpuRecordRing>();
  int flushes = 0;
  bool final_flush = false;
  ring->set_source([&](bool final) {
    ++flushes;
    final_flush = final_flush || final;
    const int64_t now = now_ns();
    ring->calibrate({now, static_cast<uint64_t>(now + kOffset)}, true);
  });
  LongRunOptions o;
  o.dir = dir.string();
  o.checkpoint_s = 100;
  o.host_period_ms = 0;
  o.recorder.warmup_seconds = 1;
  o.gpu_ring = ring;
  o.gpu_duty_period_s = 1;  // every other half second armed
  o.gpu_duty_on_s = 0.5;
  LongRun run(det, o, nullptr);
  det.set_stage_observer(run.stage_observer());

  const int64_t start = now_ns();
  int64_t next_stall = start + 1500000000, armed = 0;
  for (int64_t frame = 0; now_ns() - start < 5000000000; ++frame) {
    const bool traced = run.begin_frame(frame);
    const bool gpu = run.arm_gpu(traced);
    armed += gpu;
    det.set_op_observer(traced ? &run.recorder() : nullptr);
    const int64_t t0 = now_ns();
    det.detect(Tensor(DType::kUInt8, {48, 64, 3}));
    const bool stall = now_ns() >= next_stall;
    run.stage_observer()->stage_begin(PipelineStage::kOutput);
    if (stall) {  // 120 ms of the device's: a pull the host waits for
      std::this_thread::sleep_for(std::chrono::milliseconds(120));
      next_stall += 700000000;
    }
    run.stage_observer()->stage_end(PipelineStage::kOutput);
    const int64_t t1 = now_ns();
    if (gpu) {
      ring->add_kernel("conv_kernel", t0 + kOffset + 1000, t0 + kOffset + 2000, 0, 0);
      if (stall) {
        GpuCopyRecord c;
        c.kind = GpuCopyKind::kDeviceToHost;
        c.dst = GpuMemoryKind::kPageable;
        c.bytes = int64_t{512} << 20;
        c.start_ns = t1 - 110000000 + kOffset;
        c.end_ns = t1 - 5000000 + kOffset;
        ring->add_copy(c, 0);
        ring->add_wait("stream", c.start_ns, c.end_ns);
      }
    }
    det.set_op_observer(nullptr);
    run.end_frame();
  }
  det.set_stage_observer(nullptr);
  const LongRunResult r = run.finish();
  EXPECT_GT(armed, 0);
  EXPECT_GE(flushes, 3) << "a flush each second, and the final one";
  EXPECT_TRUE(final_flush);

  const nlohmann::json& lg = r.long_section;
  const nlohmann::json& gk = lg.at("gpu_kernels");
  EXPECT_TRUE(gk.at("available").get<bool>()) << gk.dump();
  EXPECT_EQ(gk.at("traced_frames").get<int64_t>(), armed);
  ASSERT_FALSE(lg.at("flight").empty()) << r.spikes_section.dump(1).substr(0, 2000);
  int with_kernels = 0, pulls = 0, nulls = 0;
  for (const nlohmann::json& rec : lg.at("flight")) {
    for (const nlohmann::json& f : rec.at("frames")) {
      const nlohmann::json& g = f.at("gpu");
      if (g.is_null()) {
        ++nulls;
        continue;
      }
      for (const nlohmann::json& k : g.at("kernels")) {
        EXPECT_EQ(rec.at("kernel_names").at(k.at("name").get<size_t>()), "conv_kernel");
        EXPECT_EQ(k.at("layer"), "0") << "step 0 is the first Conv";
      }
      with_kernels += !g.at("kernels").empty();
      for (const nlohmann::json& c : g.at("copies"))
        pulls += c.at("direction") == "DtoH" && c.at("memory") == "pageable";
    }
  }
  EXPECT_GT(with_kernels, 0) << lg.at("flight").dump(1).substr(0, 3000);
  EXPECT_GT(pulls, 0) << "an armed stall's copy is in its flight frame";
  EXPECT_GT(nulls, 0) << "frames outside the armed half seconds have none";
  EXPECT_LT(gk.at("ring").at("kernels").get<int64_t>(), armed)
      << "the ring let go of what no record claims";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ys
