#include "cli/ultralytics_keys.h"

#include <cctype>

#include "core/error.h"
#include "core/log.h"

namespace ys {

const ForeignKey* find_foreign_key(std::string_view key) {
  for (const ForeignKey& k : kForeignKeys)
    if (k.key == key) return &k;
  return nullptr;
}

std::string check_foreign_key(const ForeignKey& key, std::string_view value) {
  std::string v;
  for (char c : value)
    if (!std::isspace(static_cast<unsigned char>(c)))
      v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  if (v.empty() || v == "false" || v == "0" || v == "none" || v == "[]" || v == "()") return "";
  const std::string arg = cat("'", key.key, "=", value, "'");
  if (key.policy == ForeignKeyPolicy::kRefuse) return cat(arg, " is not supported: ", key.why, ".");
  log_warn(arg, " is ignored: ", key.why, ".");
  return "";
}

}  // namespace ys
