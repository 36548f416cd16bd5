// Typed argument values from the command line's text: each ArgType's check, its name in
// `yolo help`, and the message that names the key, the value and what was expected.
#pragma once

#include <string>
#include <string_view>

#include "cli/args.h"

namespace ys {

// The row of kArgSpecs for `key`; nullptr for an unknown key.
const ArgSpec* find_spec(std::string_view key);

// A key whose default is None accepts None.
bool nullable(const ArgSpec& spec);

// The value `text` reads as under spec's type. Throws ys::Error(kInvalidArgument) naming the key,
// the value and what was expected; warns where it corrects (imgsz to a multiple of 32).
ArgValue coerce(const ArgSpec& spec, std::string_view text);

// The type column of `yolo help` and docs/CLI.md.
std::string type_name(const ArgSpec& spec);

}  // namespace ys
