#include "cli/load_detector.h"

#include <new>

#include "core/error.h"
#include "core/startup_timeline.h"
#include "pipeline/input_path.h"

namespace ys {
namespace {

// Built-in names and missing files go on to the loader, which says what exists.
void check_model_path(const DetectorOptions& o) {
  if (inspect_input_path(o.model, "model") == PathKind::kDirectory)
    fail(ErrorKind::kBadModel, "model ", o.model, " is a directory, not an ONNX file");
}

[[noreturn]] void fail_out_of_memory(const DetectorOptions& o) {
  const double input_mib =
      static_cast<double>(o.batch) * 3 * o.imgsz_h * o.imgsz_w * 4 / (1024.0 * 1024.0);
  fail(ErrorKind::kOutOfMemory, "cannot allocate the model ", o.model, " at imgsz=[", o.imgsz_h,
       ", ", o.imgsz_w, "], batch=", o.batch, ": its input tensor alone, [", o.batch, ", 3, ",
       o.imgsz_h, ", ", o.imgsz_w, "] float32, is ", static_cast<int64_t>(input_mib),
       " MiB, and the activation arena is many times that (a "
       "smaller batch or input size shrinks it in proportion)");
}

}  // namespace

Detector load_detector(const DetectorOptions& o) {
  const StartupScope phase("load");
  check_model_path(o);
  try {
    return Detector(o);
  } catch (const std::bad_alloc&) {
    fail_out_of_memory(o);
  }
}

Graph load_model_graph_checked(const DetectorOptions& o, ModelDescription& desc) {
  check_model_path(o);
  try {
    return load_model_graph(o, desc);
  } catch (const std::bad_alloc&) {
    fail_out_of_memory(o);
  }
}

}  // namespace ys
