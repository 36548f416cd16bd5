#include "pipeline/stages.h"

namespace ys {

const char* pipeline_stage_name(PipelineStage s) {
  switch (s) {
    case PipelineStage::kRead:
      return "read";
    case PipelineStage::kPreprocess:
      return "preprocess";
    case PipelineStage::kInference:
      return "inference";
    case PipelineStage::kBoxDecode:
      return "box_decode";
    case PipelineStage::kNms:
      return "nms";
    case PipelineStage::kOutput:
      return "output";
  }
  return "?";
}

}  // namespace ys
