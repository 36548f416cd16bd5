// The library API for programs that embed detection: a Detector loads a model (an ONNX file or a
// built-in architecture), prepares it for one input size, and turns BGR images into detections
// with Ultralytics' preprocessing and NMS. Stage and op observers can be attached for profiling.
// On a GPU the letterbox, box decoding and NMS run on the device too (gpu_pipeline), with the
// same results as the host path to the bit.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/frame.h"
#include "pipeline/postprocess.h"
#include "pipeline/stages.h"
#include "runtime/executor.h"

namespace ys {

class DevicePrePost;   // backends/device_prepost.h
struct LetterboxInfo;  // pipeline/letterbox.h

struct DetectorOptions {
  std::string model = "yolov8n.yaml";  // ONNX file, or a built-in architecture (synthetic weights)
  int imgsz_w = 640, imgsz_h = 640;    // model input, for models with dynamic shapes and built-ins
  int batch = 1;
  std::string device = "cpu";  // "cpu"; "0" or "cuda:0" for a GPU
  int threads = 0;             // CPU threads, 0: all cores
  bool half = false;           // FP16 on a GPU (the CPU runs FP32)
  bool cuda_graph = true;      // capture the forward in a CUDA Graph and replay it
  // Letterbox, box decoding and NMS on the GPU when the device is one; false keeps them on the
  // host, as on a CPU (the advisor compares the two).
  bool gpu_pipeline = true;
  // FP16 convolutions with bias and SiLU as one cuDNN operation graph (compiled at start-up).
  bool cudnn_fusion = true;
  NmsOptions nms;
};

struct ModelDescription {
  std::string name;    // file name or built-in name
  std::string path;    // file path, or "built-in"
  std::string family;  // "yolov8", ...
  bool synthetic_weights = false;
  Shape input_shape;               // [B, 3, H, W]
  std::vector<std::string> names;  // class names
};

// model=yolov8n.pt: a PyTorch file, which YoloScope does not read (.pt, .pth, any case).
bool is_pytorch_file(const std::string& model);
// What to do instead: export it to ONNX with Ultralytics, in the words of the user's file name.
std::string pytorch_file_message(const std::string& model);

// The prepared graph a Detector would run for `options`, and what it says about the model, without
// a backend or an arena: how `yolo info` sizes a model before anything is allocated.
Graph load_model_graph(const DetectorOptions& options, ModelDescription& desc);

class Detector {
 public:
  explicit Detector(const DetectorOptions& options);
  // On a backend the caller made (options.device is then only its name): a Backend decorator
  // that a test or an embedder supplies, as the device-pool tests' fake devices do.
  Detector(const DetectorOptions& options, std::shared_ptr<Backend> backend);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // One BGR uint8 [H, W, 3] image; detections in its pixels, best first.
  std::vector<Detection> detect(const Tensor& bgr);
  // Up to batch() images at once; one list per image.
  std::vector<std::vector<Detection>> detect_batch(const std::vector<const Tensor*>& images);

  int batch() const { return static_cast<int>(model_.input_shape[0]); }
  const ModelDescription& model() const { return model_; }
  const Executor& executor() const { return *executor_; }
  const DetectorOptions& options() const { return options_; }
  // Whether detect runs letterbox, box decoding and NMS on the GPU.
  bool uses_gpu_pipeline() const { return gpu_ != nullptr; }
  // decoder=nvdec (issue 20): the model's input in device memory, where a device video decoder
  // (backends/device_video.h, on executor().backend()) letterboxes frames slot by slot.
  Tensor device_input() const;
  // Frames a device decoder has letterboxed into slots 0..n-1 of device_input(), each of the
  // given {width, height}: inference, box decoding and NMS on the GPU, no preprocess stage;
  // detections in each frame's pixels. Needs the GPU pipeline.
  std::vector<std::vector<Detection>> detect_letterboxed(
      const std::vector<std::array<int, 2>>& frame_sizes);
  // Milliseconds of each stage in the last detect call (0 for stages it does not run).
  const std::array<double, kPipelineStageCount>& last_stage_ms() const { return last_ms_; }
  // When each stage of the last detect call began (now_ns(); 0 for stages it did not run): a
  // device pool lays each device's stages on the timeline from these.
  const std::array<int64_t, kPipelineStageCount>& last_stage_begin_ns() const { return began_; }

  // Boxes above the confidence threshold that entered NMS in the last call, all images together.
  int64_t last_candidates() const { return last_candidates_; }

  void set_stage_observer(StageObserver* observer) { stage_observer_ = observer; }
  void set_op_observer(OpObserver* observer) { executor_->set_observer(observer); }

 private:
  void begin(PipelineStage s);
  void end(PipelineStage s);
  std::vector<std::vector<Detection>> detect_on_gpu(const std::vector<const Tensor*>& images);
  // Inference, box decoding and NMS on the GPU for an input already letterboxed as `info` says.
  std::vector<std::vector<Detection>> finish_on_gpu(const std::vector<LetterboxInfo>& info);

  DetectorOptions options_;
  ModelDescription model_;
  std::unique_ptr<Executor> executor_;
  // Set when gpu_pipeline is on and the backend has device pre/postprocessing.
  std::unique_ptr<DevicePrePost> gpu_;
  StageObserver* stage_observer_ = nullptr;
  std::array<double, kPipelineStageCount> last_ms_{};
  std::array<int64_t, kPipelineStageCount> began_{};
  int64_t last_candidates_ = 0;
};

}  // namespace ys
