#include "pipeline/input_path.h"

#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace fs = std::filesystem;

namespace ys {

PathKind inspect_input_path(const std::string& path, std::string_view what) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    fail(ErrorKind::kIo, what, " ", path, ": ", ec.message());
  switch (st.type()) {
    case fs::file_type::not_found:
      return PathKind::kMissing;
    case fs::file_type::regular:
      return PathKind::kRegularFile;
    case fs::file_type::directory:
      return PathKind::kDirectory;
    case fs::file_type::fifo:
      fail(ErrorKind::kBadInput, what, " ", path,
           " is a FIFO (named pipe), not a regular file: reading it would wait for a writer, "
           "perhaps forever",
           what == "model" ? "" : "; to pipe video in, send raw frames to source=- raw_size=WxH");
    default:
      fail(ErrorKind::kBadInput, what, " ", path,
           " is a socket or device, not a file; give a regular file");
  }
}

}  // namespace ys
