#include "server/security_headers.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/error.h"

namespace ys {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string sha256_source(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  YS_CHECK(EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha256(), nullptr) == 1,
           "SHA-256 failed");
  unsigned char b64[64] = {};
  EVP_EncodeBlock(b64, digest, static_cast<int>(n));
  return cat("'sha256-", reinterpret_cast<const char*>(b64), "'");
}

// Whether a <script ...> opening tag (its attributes, lower-cased) runs as JavaScript: it has no
// src (external scripts are not allowed anyway) and no type, or a JavaScript type; a data block
// (type="application/json") never runs.
bool runs_as_script(const std::string& attrs) {
  if (attrs.find("src=") != std::string::npos) return false;
  const auto t = attrs.find("type=");
  if (t == std::string::npos) return true;
  const std::string type = attrs.substr(t + 5, 30);
  return type.find("javascript") != std::string::npos || type.find("module") != std::string::npos;
}

// Hashes of the content of every inline <tag>...</tag> (script or style) in `html`.
std::set<std::string> inline_hashes(std::string_view html, const std::string& lowered,
                                    const std::string& tag) {
  std::set<std::string> hashes;
  const std::string open = "<" + tag, close = "</" + tag;
  std::size_t pos = 0;
  while ((pos = lowered.find(open, pos)) != std::string::npos) {
    const std::size_t after = pos + open.size();
    if (after >= lowered.size()) break;
    const char next = lowered[after];
    if (next != '>' && next != ' ' && next != '\t' && next != '\n' && next != '\r') {
      pos = after;
      continue;
    }
    const std::size_t gt = lowered.find('>', after);
    if (gt == std::string::npos) break;
    const std::size_t end = lowered.find(close, gt + 1);
    if (end == std::string::npos) break;
    if (tag != "script" || runs_as_script(lowered.substr(after, gt - after)))
      hashes.insert(sha256_source(html.substr(gt + 1, end - gt - 1)));
    pos = end + close.size();
  }
  return hashes;
}

std::string source_list(const std::set<std::string>& hashes) {
  if (hashes.empty()) return "'none'";
  std::string out;
  for (const std::string& h : hashes) out += (out.empty() ? "" : " ") + h;
  return out;
}

}  // namespace

std::string content_security_policy(std::string_view content_type, std::string_view body) {
  if (lower(content_type).rfind("text/html", 0) != 0)
    return "default-src 'none'; frame-ancestors 'none'; sandbox";
  const std::string lowered = lower(body);
  return cat("default-src 'none'; script-src ", source_list(inline_hashes(body, lowered, "script")),
             "; style-src ", source_list(inline_hashes(body, lowered, "style")),
             "; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; "
             "form-action 'none'; frame-ancestors 'none'");
}

}  // namespace ys
