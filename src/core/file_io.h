// Whole files: writing so that a failure never leaves half of one (the bytes go to a temporary
// file beside the target, which is renamed over it only once everything is on disk), and reading
// one into memory.
#pragma once

#include <string>
#include <string_view>

namespace ys {

// Throws ys::Error (kIo) that starts with `what` ("cannot write the HTML report x.html: ...").
void write_file_atomic(const std::string& path, std::string_view bytes, const std::string& what);

// The whole of a regular file. Throws ys::Error: kNotFound when it does not exist or is not a
// regular file, kIo when it cannot be read; the message names the path.
std::string read_file_bytes(const std::string& path);

}  // namespace ys
