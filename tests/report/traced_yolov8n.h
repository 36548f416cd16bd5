// A profiled run for the tests of the trace builder and the writers: YOLOv8n at 64x64 and a
// profiler that recorded six frames of it, three with op tracing, with the traced frames' host
// inference windows for the GPU fixture (profile_fixture.h) to lay device records on.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "analysis/profile_analysis.h"
#include "backends/cpu/cpu_backend.h"
#include "model/builtin_models.h"
#include "model/prepare.h"
#include "profiler/profiler.h"
#include "profiler/schedule.h"
#include "report/profile_fixture.h"

namespace ys::testing {

// YOLOv8n at 64x64 (its layers are what matter, not its size) and a profiler that recorded six
// frames of it, three with op tracing, the way ProfileSession drives it. Each inference lasts
// 3 ms, about what the fixture's device work for a frame takes.
class TracedYolov8n : public ::testing::Test {
 protected:
  void SetUp() override {
    Graph g = build_builtin_model("yolov8n.yaml", 64);
    prepare_graph(g);
    executor_ = std::make_unique<Executor>(std::move(g), make_cpu_backend({.threads = 1}));
    profiler_ =
        std::make_unique<Profiler>(parse_profile_schedule("0,0,6"), executor_->steps().size());
    for (int64_t f = 0; f < 6; ++f) {
      const bool traced = profiler_->begin_frame(f);
      profiler_->stage_begin(PipelineStage::kPreprocess);
      profiler_->stage_end(PipelineStage::kPreprocess);
      profiler_->stage_begin(PipelineStage::kInference);
      if (traced) {
        for (size_t k = 0; k < executor_->steps().size(); ++k) {
          profiler_->on_op_begin(k);
          profiler_->on_op_end(k);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
      profiler_->stage_end(PipelineStage::kInference);
      profiler_->end_frame();
    }
    layers_ = group_layers(executor_->graph());
    const size_t inference = static_cast<size_t>(PipelineStage::kInference);
    for (const FrameRecord& f : profiler_->frames()) {
      if (f.ops_traced) frames_.push_back({f.index, f.begin_ns[inference], f.end_ns[inference]});
    }
    ASSERT_EQ(frames_.size(), 3u);
  }

  std::unique_ptr<Executor> executor_;
  std::unique_ptr<Profiler> profiler_;
  std::vector<LayerResult> layers_;
  std::vector<HostFrame> frames_;
};

}  // namespace ys::testing
