#include "backends/cuda/plan_cache.h"

#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "core/file_io.h"

namespace ys::cuda {
namespace {

bool have_gpu() {
  int n = 0;
  const bool ok = cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
  (void)cudaGetLastError();
  return ok;
}

// Points YOLOSCOPE_CACHE_DIR at a fresh folder for one test and puts the old value back.
class ScratchCacheDir {
 public:
  ScratchCacheDir()
      : dir_(std::filesystem::temp_directory_path() /
             ("ys_plan_cache_test_" + std::to_string(::getpid()))) {
    if (const char* old = std::getenv("YOLOSCOPE_CACHE_DIR")) old_ = old;
    std::filesystem::remove_all(dir_);
    ::setenv("YOLOSCOPE_CACHE_DIR", dir_.c_str(), 1);
  }
  ~ScratchCacheDir() {
    std::filesystem::remove_all(dir_);
    if (old_) {
      ::setenv("YOLOSCOPE_CACHE_DIR", old_->c_str(), 1);
    } else {
      ::unsetenv("YOLOSCOPE_CACHE_DIR");
    }
  }

 private:
  std::filesystem::path dir_;
  std::optional<std::string> old_;
};

ConvChoices sample_choices() {
  return {{"/model.0/conv/Conv", {1, 1, 42, 1 << 20}}, {"/model.22/cv3/Conv", {6, 0, -1, 0}}};
}

TEST(CudaPlanCache, ChoicesRoundTripAndBadPayloads) {
  const auto back = decode_conv_choices(encode_conv_choices(sample_choices()));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(back->at("/model.0/conv/Conv").fused_engine, 42);
  EXPECT_EQ(back->at("/model.0/conv/Conv").workspace_bytes, size_t{1} << 20);
  EXPECT_EQ(back->at("/model.22/cv3/Conv").algo, 6);
  EXPECT_FALSE(decode_conv_choices("layer 1 2\n"));
  EXPECT_FALSE(decode_conv_choices("layer 1 2 3 4 extra\n"));
  EXPECT_FALSE(decode_conv_choices("layer x 2 3 4\n"));
  EXPECT_TRUE(encode_conv_choices({{"has space", {}}}).empty());
}

TEST(CudaPlanCache, HitMissAfterModelChangeAndCorruptFile) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  ScratchCacheDir scratch;
  std::string why;
  const auto key = conv_cache_key(0, sha256_hex("model a"), "images:1x3x640x640", 1, true, &why);
  ASSERT_TRUE(key) << why;
  EXPECT_TRUE(load_conv_choices(*key).empty());
  store_conv_choices(*key, sample_choices());
  EXPECT_EQ(load_conv_choices(*key).size(), 2u);
  const auto other = conv_cache_key(0, sha256_hex("model b"), "images:1x3x640x640", 1, true, &why);
  ASSERT_TRUE(other) << why;
  EXPECT_TRUE(load_conv_choices(*other).empty());
  const std::string path = startup_cache_path(startup_cache_dir(), "conv_plans", *key);
  std::string bytes = read_file_bytes(path);
  bytes[bytes.size() / 2] ^= 1;
  write_file_atomic(path, bytes, "test");
  EXPECT_TRUE(load_conv_choices(*key).empty());
}

}  // namespace
}  // namespace ys::cuda
