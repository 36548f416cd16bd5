#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/npy.h"
#include "core/tensor.h"

namespace ys {
namespace {

TEST(Tensor, OwningTensorIsZeroedAndSized) {
  Tensor t(DType::kFloat32, {2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.ptr<float>()[i], 0.f);
  EXPECT_EQ(shape_str(t.shape()), "[2, 3]");
}

TEST(Tensor, ReshapeSharesBytesAndChecksCount) {
  Tensor t(DType::kInt64, {6});
  t.ptr<int64_t>()[5] = 7;
  Tensor r = t.reshaped({2, 3});
  EXPECT_EQ(r.data(), t.data());
  EXPECT_EQ(r.ptr<int64_t>()[5], 7);
  EXPECT_THROW(t.reshaped({4, 2}), Error);
}

TEST(Tensor, NegativeDimensionIsAnError) {
  EXPECT_THROW(Tensor(DType::kFloat32, {-1, 2}), Error);
}

TEST(Half, RoundTripsRepresentableValuesAndRoundsToNearestEven) {
  for (float f : {0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f}) {
    EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
  }
  EXPECT_EQ(float_to_half(1.f + 1.f / 4096.f), float_to_half(1.f));  // below half an ulp
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(1e6f))));
}

TEST(Npy, SaveThenLoadIsExact) {
  Tensor t(DType::kFloat32, {2, 2, 3});
  for (int i = 0; i < 12; ++i) t.ptr<float>()[i] = static_cast<float>(i) * 0.5f - 1.f;
  std::string path = (std::filesystem::temp_directory_path() / "ys_npy_test.npy").string();
  save_npy(path, t);
  Tensor u = load_npy(path);
  EXPECT_EQ(u.shape(), t.shape());
  EXPECT_EQ(u.dtype(), DType::kFloat32);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(u.ptr<float>()[i], t.ptr<float>()[i]);
  std::filesystem::remove(path);
}

TEST(Npy, MissingAndBadFilesNameThePath) {
  try {
    load_npy("/nonexistent/x.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.npy"), std::string::npos);
  }
}

}  // namespace
}  // namespace ys
