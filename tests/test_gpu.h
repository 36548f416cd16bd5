// For tests that need a CUDA device, in files built only with the CUDA backend: skips the test,
// saying why, where cudaGetDeviceCount finds no usable device (CI has none).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "backends/cuda/cuda_backend.h"

#define YS_REQUIRE_GPU()                                               \
  do {                                                                 \
    std::string ys_why;                                                \
    if (!::ys::cuda_device_available(&ys_why)) GTEST_SKIP() << ys_why; \
  } while (0)
