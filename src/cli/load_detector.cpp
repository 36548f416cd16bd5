#include "cli/load_detector.h"

#include <new>

#include "core/error.h"
#include "pipeline/input_path.h"

namespace ys {

Detector load_detector(const DetectorOptions& o) {
  // Built-in names and missing files go on to the Detector, which says what exists.
  if (inspect_input_path(o.model, "model") == PathKind::kDirectory)
    fail(ErrorKind::kBadModel, "model ", o.model, " is a directory, not an ONNX file");
  try {
    return Detector(o);
  } catch (const std::bad_alloc&) {
    const double input_mib =
        static_cast<double>(o.batch) * 3 * o.imgsz_h * o.imgsz_w * 4 / (1024.0 * 1024.0);
    fail(ErrorKind::kOutOfMemory, "cannot allocate the model ", o.model, " at imgsz=[", o.imgsz_h,
         ", ", o.imgsz_w, "], batch=", o.batch, ": its input tensor alone, [", o.batch, ", 3, ",
         o.imgsz_h, ", ", o.imgsz_w, "] float32, is ", static_cast<int64_t>(input_mib),
         " MiB, and the activation arena is many times that (a "
         "smaller batch or input size shrinks it in proportion)");
  }
}

}  // namespace ys
