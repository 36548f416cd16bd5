// Tensors: a dtype, a shape and a pointer to bytes that are either owned (shared, so copies are
// cheap) or borrowed from an arena. Layout is logical row-major unless a backend says otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ys {

enum class DType : uint8_t { kFloat32, kFloat16, kInt64, kInt32, kInt8, kUInt8, kBool, kFloat64 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& s);
std::string shape_str(const Shape& s);  // "[1, 3, 640, 640]"
// Element strides of a dense row-major tensor of shape `s` (the last axis has stride 1).
std::vector<int64_t> row_major_strides(const Shape& s);

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // owning, zero-filled
  static Tensor view(DType dtype, Shape shape, void* data);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_[i]; }
  size_t rank() const { return shape_.size(); }
  int64_t numel() const { return ys::numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const { return data_ == nullptr; }

  void* data() const { return data_; }
  template <typename T>
  T* ptr() const {
    return static_cast<T*>(data_);
  }

  // Same bytes, new shape (element counts must match).
  Tensor reshaped(Shape shape) const;
  // Deep copy into owned memory.
  Tensor clone() const;

 private:
  DType dtype_ = DType::kFloat32;
  Shape shape_;
  std::shared_ptr<std::byte[]> owner_;
  void* data_ = nullptr;
};

// Reads an element of any numeric dtype as double / int64; for small shape tensors.
double element_as_double(const Tensor& t, int64_t i);
int64_t element_as_int(const Tensor& t, int64_t i);
std::vector<int64_t> to_int_vector(const Tensor& t);

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

}  // namespace ys
