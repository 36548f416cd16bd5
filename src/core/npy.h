// Reading and writing NumPy .npy files (version 1/2, little-endian, C order); the reference
// tensors of the test data are stored this way.
#pragma once

#include <string>

#include "core/tensor.h"

namespace ys {

Tensor load_npy(const std::string& path);
void save_npy(const std::string& path, const Tensor& t);

}  // namespace ys
