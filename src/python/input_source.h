// What `model.predict(source)` reads: one source or a list of them, each a path, glob, video,
// URL or "synthetic" (opened through pipeline/source.h with the run's keys) or a NumPy image
// (array_frames.h), read in the order given, as Ultralytics reads a list. Sources that cannot be
// opened raise at once: the first before predict returns, the others when their turn comes.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "pipeline/source.h"

namespace ys {

// A path-like item's SourceSpec, or a frame that views a NumPy array held by the caller.
using InputItem = std::variant<SourceSpec, Frame>;

// Reads the items one after another. Frames keep their names ("image0.jpg", as Ultralytics names
// arrays); a path item's frames and skipped inputs are those of its own source.
std::unique_ptr<Source> open_input_list(std::vector<InputItem> items);

}  // namespace ys
