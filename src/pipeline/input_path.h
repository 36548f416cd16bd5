// What a path the user gave (a model, a source, an image in a folder) names, asked before anything
// opens it: opening a FIFO blocks until a writer comes, perhaps forever, and std::filesystem's
// throwing calls would turn a symlink loop or a name too long into an "internal error".
#pragma once

#include <string>
#include <string_view>

namespace ys {

enum class PathKind { kMissing, kRegularFile, kDirectory };

// kMissing when nothing is there (callers say what they expected); throws ys::Error naming
// `what` ("model", "source", ...), the path and the reason when the path cannot be resolved
// (kIo: a symlink loop, a name too long, a file used as a folder) or names a FIFO, socket or
// device (kBadInput).
PathKind inspect_input_path(const std::string& path, std::string_view what);

}  // namespace ys
