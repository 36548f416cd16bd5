#include "pipeline/detector.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <future>

#include "backends/backend_registry.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/startup_timeline.h"
#include "model/builtin_models.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"
#include "pipeline/class_names.h"
#include "pipeline/letterbox.h"

namespace ys {
namespace {

BackendOptions backend_options(const DetectorOptions& o) {
  return {.device = o.device,
          .threads = o.threads,
          .half = o.half,
          .cuda_graph = o.cuda_graph,
          .cudnn_fusion = o.cudnn_fusion};
}

}  // namespace

Graph load_model_graph(const DetectorOptions& o, ModelDescription& desc) {
  Graph g;
  const Shape wanted = {o.batch, 3, o.imgsz_h, o.imgsz_w};
  if (is_builtin_model(o.model)) {
    if (o.imgsz_h != o.imgsz_w) {
      fail(ErrorKind::kInvalidArgument, "imgsz=[", o.imgsz_h, ", ", o.imgsz_w,
           "]: the built-in architectures are built ",
           "square; give one size, e.g. imgsz=", std::max(o.imgsz_h, o.imgsz_w));
    }
    {
      const StartupScope phase("model_read");
      g = build_builtin_model(o.model, o.imgsz_h, o.batch);
    }
    desc.path = "built-in";
    desc.name = o.model;
    const StartupScope phase("graph_prepare");
    prepare_graph(g);
  } else {
    if (is_pytorch_file(o.model)) fail(ErrorKind::kUnsupported, pytorch_file_message(o.model));
    if (!std::filesystem::exists(o.model)) {
      fail(
          ErrorKind::kNotFound, "model '", o.model, "' does not exist (built-in architectures: ",
          [] {
            std::string s;
            for (const auto& n : builtin_model_names()) s += (s.empty() ? "" : ", ") + n;
            return s;
          }(),
          ")");
    }
    {
      const StartupScope phase("model_read");
      g = load_onnx_file(o.model);
    }
    desc.path = o.model;
    desc.name = std::filesystem::path(o.model).filename().string();
    if (has_synthetic_weights_mark(g)) {
      g.synthetic_weights = true;
      log_warn("model '", o.model, "' was exported from a YoloScope built-in architecture with ",
               "SYNTHETIC weights (deterministic, not trained): its detections are meaningless. ",
               "README.md, 'Getting a trained model', says how to get real weights.");
    }
    if (g.inputs.empty()) {
      fail(ErrorKind::kBadModel, "model '", o.model,
           "' has no graph input; a detection model takes an image [batch, 3, height, width]");
    }
    const Value& in = g.values[static_cast<size_t>(g.inputs[0])];
    bool is_static = !in.shape.empty();
    for (int64_t d : in.shape) is_static = is_static && d > 0;
    if (is_static && in.shape != wanted) {
      log_warn("model '", o.model, "' has the fixed input shape ", shape_str(in.shape),
               "; using it instead of ", shape_str(wanted),
               " (export with dynamic=True for other sizes)");
    }
    // Node errors name the node; the user also needs to know which file holds it.
    try {
      const StartupScope phase("graph_prepare");
      prepare_graph(g, {.input_shape = is_static ? Shape{} : wanted});
    } catch (const Error& e) {
      fail(e.kind(), "model '", o.model, "': ", e.what());
    }
  }
  desc.family = g.family;
  desc.synthetic_weights = g.synthetic_weights;
  desc.input_shape = g.values[static_cast<size_t>(g.inputs.at(0))].shape;
  auto names = g.metadata.find("names");
  desc.names = names != g.metadata.end() ? parse_names(names->second) : coco80_names();
  if (desc.input_shape.size() != 4 || desc.input_shape[1] != 3) {
    fail(ErrorKind::kBadModel, "model '", o.model, "' takes ", shape_str(desc.input_shape),
         "; a detection model takes [batch, 3, height, width]");
  }
  return g;
}

bool is_pytorch_file(const std::string& model) {
  std::string ext = std::filesystem::path(model).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext == ".pt" || ext == ".pth";
}

std::string pytorch_file_message(const std::string& model) {
  const std::filesystem::path p(model);
  const std::string onnx = std::filesystem::path(p).replace_extension(".onnx").string();
  return cat("model=", model, ": YoloScope does not read PyTorch files (", p.extension().string(),
             "), only ONNX. Export it with Ultralytics (pip install ultralytics): 'yolo export ",
             "model=", model, " format=onnx', then pass model=", onnx,
             ". README.md, 'Getting a trained model', has the details");
}

namespace {

void check_image(const Tensor& img, size_t i) {
  if (img.dtype() != DType::kUInt8 || img.rank() != 3 || img.dim(2) != 3 || img.dim(0) < 1 ||
      img.dim(1) < 1) {
    fail(ErrorKind::kBadInput, "image ", i, " is ", dtype_name(img.dtype()), " ",
         shape_str(img.shape()), "; expected a uint8 BGR image [height, width, 3]");
  }
}

}  // namespace

Detector::Detector(const DetectorOptions& options) : Detector(options, nullptr) {}

Detector::Detector(const DetectorOptions& options, std::shared_ptr<Backend> backend)
    : options_(options) {
  if (options_.batch < 1)
    fail(ErrorKind::kInvalidArgument, "batch=", options_.batch, " must be at least 1");
  if (!backend && options_.device.find(',') != std::string::npos) {
    fail(ErrorKind::kInvalidArgument, "device=", options_.device,
         ": a Detector runs on one device; several run through a DetectorPool ",
         "(yolo predict does this), or give one device, e.g. device=",
         options_.device.substr(0, options_.device.find(',')));
  }
  // A GPU's driver initialisation, context, stream and cuDNN handle are made on a thread of their
  // own while the model file is read and its graph prepared on this one: they need nothing of the
  // model (issue 19.3). A CPU backend is made in well under a millisecond: nothing to gain.
  std::future<std::shared_ptr<Backend>> made;
  if (!backend && options_.device != "cpu") {
    made = std::async(std::launch::async, [o = backend_options(options_)] {
      const StartupScope phase("backend_create");
      return make_backend(o);
    });
  }
  Graph g = load_model_graph(options_, model_);
  if (made.valid()) {
    const StartupScope phase("backend_wait");
    backend = made.get();
  } else if (!backend) {
    const StartupScope phase("backend_create");
    backend = make_backend(backend_options(options_));
  }
  executor_ = std::make_unique<Executor>(std::move(g), std::move(backend));
  const Shape& out =
      executor_->graph().values[static_cast<size_t>(executor_->graph().outputs.at(0))].shape;
  if (out.size() != 3 || out[1] < 5) {
    fail(ErrorKind::kBadModel, "model '", options_.model, "' outputs ", shape_str(out),
         "; a YOLO detection head outputs [batch, 4 + classes, anchors]");
  }
  if (options_.gpu_pipeline) {
    const StartupScope phase("device_prepost");
    const NmsOptions& n = options_.nms;
    gpu_ = make_device_prepost(executor_->backend(), {n.conf, n.iou, n.max_det, n.max_nms,
                                                      n.agnostic, n.classes, n.max_wh});
  }
}

Detector::~Detector() = default;

void Detector::begin(PipelineStage s) {
  began_[static_cast<size_t>(s)] = now_ns();
  if (stage_observer_) stage_observer_->stage_begin(s);
}

void Detector::end(PipelineStage s) {
  if (stage_observer_) stage_observer_->stage_end(s);
  last_ms_[static_cast<size_t>(s)] =
      static_cast<double>(now_ns() - began_[static_cast<size_t>(s)]) / 1e6;
}

std::vector<Detection> Detector::detect(const Tensor& bgr) {
  return detect_batch({&bgr}).at(0);
}

std::vector<std::vector<Detection>> Detector::detect_batch(
    const std::vector<const Tensor*>& images) {
  const int b = batch();
  if (images.empty() || static_cast<int>(images.size()) > b) {
    fail(ErrorKind::kInvalidArgument, "detect_batch takes 1 to ", b, " images, got ",
         images.size());
  }
  last_ms_.fill(0);
  began_.fill(0);
  if (gpu_) return detect_on_gpu(images);
  const int h = static_cast<int>(model_.input_shape[2]),
            w = static_cast<int>(model_.input_shape[3]);
  std::vector<LetterboxInfo> info(images.size());

  begin(PipelineStage::kPreprocess);
  const bool host_arena = executor_->backend().device() == DeviceKind::kCpu;
  Tensor staging = host_arena ? executor_->input(0) : Tensor(DType::kFloat32, model_.input_shape);
  for (size_t i = 0; i < images.size(); ++i) {
    check_image(*images[i], i);
    info[i] = letterbox(*images[i], w, h, staging.ptr<float>(), static_cast<int>(i));
  }
  if (!host_arena) executor_->set_input(0, staging);
  end(PipelineStage::kPreprocess);

  begin(PipelineStage::kInference);
  executor_->run();
  executor_->backend().synchronize();
  end(PipelineStage::kInference);

  begin(PipelineStage::kBoxDecode);
  Tensor out = host_arena ? executor_->output(0) : executor_->read_output(0);
  const int channels = static_cast<int>(out.dim(1)), anchors = static_cast<int>(out.dim(2));
  std::vector<std::vector<Detection>> candidates(images.size());
  last_candidates_ = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const float* pred =
        out.ptr<float>() + i * static_cast<size_t>(channels) * static_cast<size_t>(anchors);
    candidates[i] = decode_candidates(pred, channels, anchors, options_.nms);
    last_candidates_ += static_cast<int64_t>(candidates[i].size());
  }
  end(PipelineStage::kBoxDecode);

  begin(PipelineStage::kNms);
  std::vector<std::vector<Detection>> result(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    result[i] = nms_candidates(candidates[i], options_.nms);
    scale_boxes(result[i], info[i]);
  }
  end(PipelineStage::kNms);
  return result;
}

// The same stages on the device. Each stage ends with a stream synchronisation, though the next
// stage's work would queue behind it anyway: last_stage_ms() feeds every run's Speed line, not
// only profiled ones, and without the wait the letterbox kernel's time would be counted as
// inference and the sort's as NMS. A wait on a stream costs about 10 us, against hundreds of us
// for staging and uploading one image.
std::vector<std::vector<Detection>> Detector::detect_on_gpu(
    const std::vector<const Tensor*>& images) {
  const int h = static_cast<int>(model_.input_shape[2]),
            w = static_cast<int>(model_.input_shape[3]);
  std::vector<LetterboxInfo> info(images.size());
  std::vector<LetterboxPlacement> at(images.size());
  DevicePrePost& gpu = *gpu_;

  begin(PipelineStage::kPreprocess);
  for (size_t i = 0; i < images.size(); ++i) {
    check_image(*images[i], i);
    info[i] = letterbox_geometry(static_cast<int>(images[i]->dim(1)),
                                 static_cast<int>(images[i]->dim(0)), w, h);
    at[i] = {info[i].resized_width, info[i].resized_height, info[i].pad_left, info[i].pad_top};
  }
  gpu.letterbox(images, at, executor_->input(0));
  gpu.synchronize();
  end(PipelineStage::kPreprocess);
  return finish_on_gpu(info);
}

Tensor Detector::device_input() const {
  if (!gpu_)
    fail(ErrorKind::kInvalidArgument,
         "a device decoder needs the GPU pipeline (a CUDA device and gpu_pipeline=True)");
  return executor_->input(0);
}

std::vector<std::vector<Detection>> Detector::detect_letterboxed(
    const std::vector<std::array<int, 2>>& frame_sizes) {
  const int b = batch();
  if (frame_sizes.empty() || static_cast<int>(frame_sizes.size()) > b)
    fail(ErrorKind::kInvalidArgument, "detect_letterboxed takes 1 to ", b, " frames, got ",
         frame_sizes.size());
  if (!gpu_)
    fail(ErrorKind::kInvalidArgument,
         "frames letterboxed on the device need the GPU pipeline (a CUDA device and "
         "gpu_pipeline=True)");
  last_ms_.fill(0);
  began_.fill(0);
  const int h = static_cast<int>(model_.input_shape[2]),
            w = static_cast<int>(model_.input_shape[3]);
  std::vector<LetterboxInfo> info(frame_sizes.size());
  for (size_t i = 0; i < frame_sizes.size(); ++i) {
    if (frame_sizes[i][0] < 1 || frame_sizes[i][1] < 1)
      fail(ErrorKind::kBadInput, "frame ", i, " is ", frame_sizes[i][0], "x", frame_sizes[i][1]);
    info[i] = letterbox_geometry(frame_sizes[i][0], frame_sizes[i][1], w, h);
  }
  return finish_on_gpu(info);
}

std::vector<std::vector<Detection>> Detector::finish_on_gpu(
    const std::vector<LetterboxInfo>& info) {
  DevicePrePost& gpu = *gpu_;
  begin(PipelineStage::kInference);
  executor_->run();
  executor_->backend().synchronize();
  end(PipelineStage::kInference);

  begin(PipelineStage::kBoxDecode);
  gpu.decode(executor_->output(0), static_cast<int>(info.size()));
  gpu.synchronize();
  end(PipelineStage::kBoxDecode);

  begin(PipelineStage::kNms);
  gpu.nms();
  gpu.synchronize();
  std::vector<std::vector<Detection>> result(info.size());
  last_candidates_ = 0;
  for (size_t i = 0; i < info.size(); ++i) {
    for (const DeviceDetection& d : gpu.detections(static_cast<int>(i)))
      result[i].push_back({d.x1, d.y1, d.x2, d.y2, d.conf, d.cls});
    scale_boxes(result[i], info[i]);
    last_candidates_ += gpu.candidates(static_cast<int>(i));
  }
  end(PipelineStage::kNms);
  return result;
}

}  // namespace ys
