// The backends registry: the device strings it reads, the backends it lists, and what a host
// backend offers the profiler and the GPU pipeline (nothing: no device timer, no device
// pre/postprocessing). The GPU halves of both are tested where a GPU is, in tests/backends/cuda.
#include "backends/backend_registry.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace ys {
namespace {

TEST(BackendRegistry, CpuIsTheDefaultAndHasNoDeviceTimerOrDevicePrePost) {
  for (const std::string device : {"cpu", ""}) {
    const std::shared_ptr<Backend> b = make_backend({.device = device, .threads = 1});
    ASSERT_NE(b, nullptr) << "device='" << device << "'";
    EXPECT_EQ(b->device(), DeviceKind::kCpu) << "device='" << device << "'";
    EXPECT_EQ(b->device_timer(), nullptr) << "a host backend offered a device timer";
    EXPECT_EQ(make_device_prepost(*b, {}), nullptr)
        << "a host backend offered device pre/postprocessing";
  }
}

TEST(BackendRegistry, ListsTheCpuFirst) {
  const std::vector<std::string> all = available_backends();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().rfind("cpu (", 0), 0u) << all.front();
#ifdef YS_HAVE_CUDA
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].rfind("cuda (", 0), 0u) << all[1];
#else
  EXPECT_EQ(all.size(), 1u);
#endif
}

TEST(BackendRegistry, AnUnknownDeviceIsRefusedNamingIt) {
  try {
    make_backend({.device = "tpu:3"});
    FAIL() << "device=tpu:3 was accepted";
  } catch (const Error& e) {
#ifdef YS_HAVE_CUDA
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
#else
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
#endif
    EXPECT_NE(std::string(e.what()).find("device=tpu:3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ys
