// The answer to an unknown word on the command line: the closest valid arguments, found as
// Ultralytics finds them (difflib.get_close_matches), with an example of each.
#pragma once

#include <string>

namespace ys {

// "'wrod' is not a valid YoloScope argument. Similar arguments are i.e. [...]."
std::string unknown_key_message(const std::string& word);

}  // namespace ys
