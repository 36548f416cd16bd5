#include "python/array_frames.h"

#include <sstream>

#include "core/error.h"

namespace py = pybind11;

namespace ys {

Frame frame_from_array(py::array& array, const std::string& name) {
  if (!py::dtype::of<uint8_t>().is(array.dtype())) {
    fail(ErrorKind::kInvalidArgument, "source ", name, ": a numpy array of dtype ",
         std::string(py::str(array.dtype())),
         "; expected uint8 BGR pixels as cv2.imread gives them (convert with .astype('uint8'))");
  }
  if (array.ndim() != 3 || array.shape(2) != 3) {
    std::ostringstream shape;  // a stream: g++ 12's LTO warns falsely on string concatenation
    for (py::ssize_t i = 0; i < array.ndim(); ++i) shape << (i ? ", " : "") << array.shape(i);
    fail(ErrorKind::kInvalidArgument, "source ", name, ": a numpy array of shape (", shape.str(),
         "); expected (height, width, 3) BGR, as cv2.imread gives it");
  }
  if (array.shape(0) == 0 || array.shape(1) == 0)
    fail(ErrorKind::kInvalidArgument, "source ", name, ": an empty image (no pixels)");
  if (!(array.flags() & py::array::c_style)) {
    array = py::array_t<uint8_t, py::array::c_style>::ensure(array);  // the one copy
    if (!array) throw py::error_already_set();
  }
  Frame frame;
  frame.image = Tensor::view(DType::kUInt8, {array.shape(0), array.shape(1), 3},
                             const_cast<void*>(array.data()));
  frame.source = name;
  frame.kind = FrameKind::kImage;
  return frame;
}

py::array array_from_image(const Tensor& image) {
  // The capsule holds a Tensor sharing the buffer, so the array outlives the Frame it came from.
  auto* keep = new Tensor(image);
  py::capsule owner(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(py::dtype::of<uint8_t>(), {image.dim(0), image.dim(1), image.dim(2)},
                   image.ptr<uint8_t>(), owner);
}

}  // namespace ys
