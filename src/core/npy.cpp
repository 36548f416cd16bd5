#include "core/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace ys {
namespace {

DType dtype_from_descr(const std::string& d, const std::string& path) {
  if (d == "<f4") return DType::kFloat32;
  if (d == "<f2") return DType::kFloat16;
  if (d == "<f8") return DType::kFloat64;
  if (d == "<i8") return DType::kInt64;
  if (d == "<i4") return DType::kInt32;
  if (d == "|u1") return DType::kUInt8;
  if (d == "|i1") return DType::kInt8;
  if (d == "|b1") return DType::kBool;
  fail(ErrorKind::kUnsupported, "npy file '", path, "': dtype '", d, "' is not supported");
}

const char* descr_of(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat16:
      return "<f2";
    case DType::kFloat64:
      return "<f8";
    case DType::kInt64:
      return "<i8";
    case DType::kInt32:
      return "<i4";
    case DType::kUInt8:
      return "|u1";
    case DType::kInt8:
      return "|i1";
    case DType::kBool:
      return "|b1";
  }
  return "";
}

std::string header_field(const std::string& header, const std::string& key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return {};
  size_t colon = header.find(':', k);
  return header.substr(colon + 1);
}

}  // namespace

Tensor load_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(ErrorKind::kNotFound, "npy file '", path, "': cannot open");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    fail(ErrorKind::kBadInput, "npy file '", path, "': not a NumPy file");
  }
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint16_t h16 = 0;
    f.read(reinterpret_cast<char*>(&h16), 2);
    header_len = h16;
  } else {
    f.read(reinterpret_cast<char*>(&header_len), 4);
  }
  std::string header(header_len, '\0');
  if (!f.read(header.data(), header_len))
    fail(ErrorKind::kBadInput, "npy file '", path, "': truncated header");
  std::string descr = header_field(header, "descr");
  size_t q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
  DType dt = dtype_from_descr(descr.substr(q1 + 1, q2 - q1 - 1), path);
  if (header.find("'fortran_order': True") != std::string::npos) {
    fail(ErrorKind::kUnsupported, "npy file '", path, "': Fortran order");
  }
  std::string shape_s = header_field(header, "shape");
  shape_s = shape_s.substr(shape_s.find('(') + 1, shape_s.find(')') - shape_s.find('(') - 1);
  Shape shape;
  std::stringstream ss(shape_s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(item));
  }
  Tensor t(dt, shape);
  if (!f.read(static_cast<char*>(t.data()), static_cast<std::streamsize>(t.nbytes()))) {
    fail(ErrorKind::kBadInput, "npy file '", path, "': truncated data");
  }
  return t;
}

void save_npy(const std::string& path, const Tensor& t) {
  std::ofstream f(path, std::ios::binary);
  if (!f) fail(ErrorKind::kIo, "npy file '", path, "': cannot create");
  std::string shape;
  for (size_t i = 0; i < t.rank(); ++i)
    shape += std::to_string(t.dim(i)) + (t.rank() == 1 || i + 1 < t.rank() ? "," : "");
  std::string header = cat("{'descr': '", descr_of(t.dtype()),
                           "', 'fortran_order': False, 'shape': (", shape, "), }");
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  f.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  f.write(reinterpret_cast<const char*>(&len), 2);
  f << header;
  f.write(static_cast<const char*>(t.data()), static_cast<std::streamsize>(t.nbytes()));
}

}  // namespace ys
