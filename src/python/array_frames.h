// NumPy arrays as pipeline frames: a uint8 BGR [H, W, 3] array, as cv2.imread gives it, becomes a
// Frame whose Tensor views the array's own memory when it is C-contiguous, and a one-time copy
// when it is not (a slice, a transposed view); anything else is refused with a ValueError-kind
// ys::Error naming the input. And back: a Frame's pixels as an array that shares its memory.
#pragma once

#include <pybind11/numpy.h>

#include <string>

#include "pipeline/frame.h"

namespace ys {

// `array` is replaced by the contiguous copy when one was made, so the caller keeps whichever
// array the frame views alive for as long as the frame is used. Needs the GIL.
Frame frame_from_array(pybind11::array& array, const std::string& name);

// The frame's pixels as a uint8 [H, W, 3] array sharing its memory (the Tensor's buffer stays
// alive as long as the array does). Needs the GIL.
pybind11::array array_from_image(const Tensor& image);

}  // namespace ys
