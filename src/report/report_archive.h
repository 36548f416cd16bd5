// A report folder as one byte string and back, so that it can be encrypted as a whole
// (report_crypto.h) and served from memory. The format is a count and, per file, its relative
// path ('/'-separated) and bytes, all lengths little-endian; docs/SECURITY.md describes it. Only
// regular files are packed; a symlink or other special file is refused rather than followed, so
// packing a folder never picks up a file from outside it. Unpacking refuses any path that could
// land outside the target (absolute, "..", empty or "." components, NUL, backslash).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace ys {

// Relative path -> contents, in path order.
using FileMap = std::map<std::string, std::string>;

// Reads every regular file below `dir`. Throws ys::Error: kNotFound when dir is not a folder,
// kBadInput naming a symlink or special file inside it, kIo when a file cannot be read.
FileMap read_folder(const std::string& dir);

std::string pack_files(const FileMap& files);

// Throws ys::Error (kBadInput) naming what is wrong: truncated, trailing bytes, an unsafe or
// repeated path.
FileMap unpack_files(std::string_view packed);

// Writes `files` into a new folder `dir`: everything goes to a temporary folder beside it, which
// is renamed to `dir` only once all is written, so a failure leaves no partial folder. Throws
// ys::Error: kInvalidArgument when dir exists and is not an empty folder, kIo on a write error.
void write_folder(const std::string& dir, const FileMap& files);

}  // namespace ys
