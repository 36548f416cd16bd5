// Writing whole files so that a failure never leaves half of one: the bytes go to a temporary
// file beside the target, which is renamed over it only once everything is on disk.
#pragma once

#include <string>
#include <string_view>

namespace ys {

// Throws ys::Error (kIo) that starts with `what` ("cannot write the HTML report x.html: ...").
void write_file_atomic(const std::string& path, std::string_view bytes, const std::string& what);

}  // namespace ys
