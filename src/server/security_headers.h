// The Content-Security-Policy the report server sends. A report is one self-contained page whose
// script and style are inline, so an HTML answer's policy allows exactly those inline blocks by
// their SHA-256 hashes (CSP Level 2) and nothing else: no other script, no eval, no inline event
// handler or style attribute, no plug-in, no form target, no framing, and network access only
// back to this server (the live dashboard polls it). Hashes are computed from the page as served,
// so a page changed in any way after it was written loses its scripts instead of running them.
// Other answers (JSON, CSV, text) get a policy that allows nothing, so even a file that a browser
// would render cannot run anything.
#pragma once

#include <string>
#include <string_view>

namespace ys {

// `content_type` as sent ("text/html; charset=utf-8"); `body` the answer's bytes.
std::string content_security_policy(std::string_view content_type, std::string_view body);

}  // namespace ys
