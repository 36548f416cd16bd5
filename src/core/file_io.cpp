#include "core/file_io.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace ys {

void write_file_atomic(const std::string& path, std::string_view bytes, const std::string& what) {
  std::filesystem::path tmp(path);
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      fail(ErrorKind::kIo, what, ": cannot create ", tmp.string(), " (", std::strerror(errno), ")");
    errno = 0;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      // The stream keeps no error code; errno is the failed write(2) or close(2)'s, when set.
      const int err = errno;
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      fail(ErrorKind::kIo, what, ": writing failed (",
           err ? std::strerror(err) : "disk full or write error", ")");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    fail(ErrorKind::kIo, what, ": ", ec.message());
  }
}

std::string read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    fail(ErrorKind::kNotFound, path, ": no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kIo, "cannot read ", path, " (", std::strerror(errno), ")");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(ErrorKind::kIo, "cannot read ", path);
  return bytes;
}

}  // namespace ys
