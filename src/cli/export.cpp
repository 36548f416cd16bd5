// `yolo export model=yolov8n.yaml format=onnx`: writes a built-in architecture (or re-writes a
// loaded model) as an ONNX file with Ultralytics' structure and naming.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "model/builtin_models.h"
#include "model/onnx_export.h"
#include "pipeline/detector.h"

namespace ys {

int run_export(const Config& c) {
  const std::string model = c.get_string("model");
  if (is_pytorch_file(model)) fail(ErrorKind::kUnsupported, pytorch_file_message(model));
  if (!is_builtin_model(model)) {
    fail(ErrorKind::kInvalidArgument, "model=", model,
         ": export writes the built-in architectures (yolov8n.yaml, yolov8s.yaml, yolo11n.yaml, "
         "yolo11s.yaml); "
         "an ONNX file is already exported");
  }
  // The other choices of format= are yolo compare's outputs.
  if (c.get_string("format") != "onnx")
    fail(ErrorKind::kInvalidArgument, "format=", c.get_string("format"),
         ": export writes onnx only");
  std::vector<int> imgsz = c.get_int_list("imgsz");
  Graph g = build_builtin_model(model, imgsz.at(0), c.get_int("batch"));
  std::string stem = std::filesystem::path(model).stem().string();
  std::string path = stem + ".onnx";
  // A trained model of the same name may be there: never replace it unasked.
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !c.get_bool("exist_ok")) {
    fail(ErrorKind::kIo, path, " already exists; pass exist_ok=True to overwrite it with the ",
         "SYNTHETIC weights of ", model, ", or export from another folder");
  }
  export_onnx(g, path, c.get_int("opset"));
  std::cout << "Exported " << model << " (SYNTHETIC weights) to " << path << " ("
            << std::filesystem::file_size(path) / 1024 << " KiB, opset " << c.get_int("opset")
            << ")\n";
  return kExitOk;
}

}  // namespace ys
