// The stages of the detection pipeline and the hook through which an observer (the profiler)
// sees them begin and end. The pipeline calls the hook only when one is attached.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ys {

enum class PipelineStage : uint8_t { kRead, kPreprocess, kInference, kBoxDecode, kNms, kOutput };
constexpr size_t kPipelineStageCount = 6;
const char* pipeline_stage_name(PipelineStage s);

class StageObserver {
 public:
  virtual ~StageObserver() = default;
  virtual void stage_begin(PipelineStage s) = 0;
  virtual void stage_end(PipelineStage s) = 0;
};

}  // namespace ys
