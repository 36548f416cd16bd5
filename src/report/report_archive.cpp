#include "report/report_archive.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>

#include "core/error.h"
#include "core/file_io.h"

namespace ys {

namespace fs = std::filesystem;

namespace {

// A report's files are a few MB; these bounds only stop a forged archive from asking for absurd
// allocations before its bytes run out.
constexpr std::uint32_t kMaxFiles = 100000;
constexpr std::uint32_t kMaxPathBytes = 4096;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  std::uint64_t uint(int bytes, const char* what) {
    need(static_cast<std::size_t>(bytes), what);
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= std::uint64_t{static_cast<unsigned char>(data_[pos_ + i])} << (8 * i);
    pos_ += static_cast<std::size_t>(bytes);
    return v;
  }

  std::string_view take(std::uint64_t n, const char* what) {
    need(n, what);
    const std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  bool done() const { return pos_ == data_.size(); }

 private:
  void need(std::uint64_t n, const char* what) {
    if (n > data_.size() - pos_)
      fail(ErrorKind::kBadInput, "the report archive is truncated in ", what);
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

bool is_safe_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos)
    return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

FileMap read_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(ErrorKind::kNotFound, dir, " is not a folder");
  FileMap files;
  const fs::path root(dir);
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::file_status status = it->symlink_status();
    if (fs::is_directory(status)) continue;
    if (!fs::is_regular_file(status))
      fail(ErrorKind::kBadInput, it->path().string(),
           " is a symlink or special file; a report folder holds regular files only");
    files.emplace(it->path().lexically_relative(root).generic_string(),
                  read_file_bytes(it->path().string()));
  }
  return files;
}

std::string pack_files(const FileMap& files) {
  std::string out;
  put_u32(out, static_cast<std::uint32_t>(files.size()));
  for (const auto& [path, bytes] : files) {
    put_u32(out, static_cast<std::uint32_t>(path.size()));
    out += path;
    put_u64(out, bytes.size());
    out += bytes;
  }
  return out;
}

FileMap unpack_files(std::string_view packed) {
  Reader in(packed);
  const std::uint64_t count = in.uint(4, "its file count");
  if (count > kMaxFiles)
    fail(ErrorKind::kBadInput, "the report archive claims ", count, " files (at most ", kMaxFiles,
         ")");
  FileMap files;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t path_len = in.uint(4, "a path length");
    if (path_len > kMaxPathBytes)
      fail(ErrorKind::kBadInput, "the report archive holds a path of ", path_len, " bytes");
    const std::string path(in.take(path_len, "a path"));
    if (!is_safe_relative_path(path))
      fail(ErrorKind::kBadInput, "the report archive holds the unsafe path '", path, "'");
    const std::uint64_t size = in.uint(8, "a file size");
    std::string bytes(in.take(size, path.c_str()));
    if (!files.emplace(path, std::move(bytes)).second)
      fail(ErrorKind::kBadInput, "the report archive holds '", path, "' twice");
  }
  if (!in.done()) fail(ErrorKind::kBadInput, "the report archive has bytes after its last file");
  return files;
}

void write_folder(const std::string& dir, const FileMap& files) {
  std::error_code ec;
  const fs::path target(dir);
  if (fs::exists(fs::symlink_status(target, ec)) &&
      (!fs::is_directory(target, ec) || !fs::is_empty(target, ec)))
    fail(ErrorKind::kInvalidArgument, "out=", dir,
         " already exists and is not an empty folder; choose a new one");
  fs::path tmp = target;
  tmp += cat(".tmp-", getpid());
  fs::remove_all(tmp, ec);
  try {
    fs::create_directories(tmp);
    for (const auto& [path, bytes] : files) {
      const fs::path file = tmp / path;
      fs::create_directories(file.parent_path());
      write_file_atomic(file.string(), bytes, cat("cannot write ", (target / path).string()));
    }
    // rename() replaces an empty folder, and fails on anything else that appeared meanwhile.
    fs::rename(tmp, target);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    fail(ErrorKind::kIo, "cannot write ", dir, ": ", e.code().message());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace ys
