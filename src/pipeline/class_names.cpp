#include "pipeline/class_names.h"

#include <cctype>
#include <map>

#include "core/error.h"

namespace ys {

namespace {

class LiteralParser {
 public:
  explicit LiteralParser(const std::string& s) : s_(s) {}

  std::vector<std::string> parse() {
    skip_space();
    if (peek() == '{') return parse_dict();
    if (peek() == '[') return parse_list();
    error("expected '{' or '['");
  }

 private:
  std::vector<std::string> parse_dict() {
    ++pos_;
    std::map<int, std::string> entries;
    skip_space();
    while (peek() != '}') {
      const int key = parse_int();
      expect(':');
      entries[key] = parse_string();
      if (!comma_or('}')) break;
    }
    expect('}');
    finish();
    std::vector<std::string> names(entries.empty() ? 0 : entries.rbegin()->first + 1);
    for (size_t i = 0; i < names.size(); ++i) names[i] = std::to_string(i);
    for (auto& [k, v] : entries) names[k] = v;
    return names;
  }

  std::vector<std::string> parse_list() {
    ++pos_;
    std::vector<std::string> names;
    skip_space();
    while (peek() != ']') {
      names.push_back(parse_string());
      if (!comma_or(']')) break;
    }
    expect(']');
    finish();
    return names;
  }

  // After an item: true when a comma follows (a trailing comma before `close` is allowed).
  bool comma_or(char close) {
    skip_space();
    if (peek() != ',') return false;
    ++pos_;
    skip_space();
    return peek() != close;
  }

  int parse_int() {
    skip_space();
    const size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (start == pos_ || pos_ - start > 6) error("expected a class index");
    return std::stoi(s_.substr(start, pos_ - start));
  }

  std::string parse_string() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') error("expected a quoted name");
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out += s_[pos_++];
    }
    if (pos_ >= s_.size()) error("unterminated string");
    ++pos_;
    return out;
  }

  void expect(char c) {
    skip_space();
    if (peek() != c) error(cat("expected '", c, "'"));
    ++pos_;
  }

  void finish() {
    skip_space();
    if (pos_ != s_.size()) error("unexpected text after the end");
  }

  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  [[noreturn]] void error(const std::string& what) const {
    fail(ErrorKind::kBadModel, "class names metadata: ", what, " at character ", pos_, " of \"",
         s_.substr(0, 80), s_.size() > 80 ? "...\"" : "\"");
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<std::string> parse_names(const std::string& literal) {
  return LiteralParser(literal).parse();
}

std::string class_name(const std::vector<std::string>& names, int cls) {
  return cls >= 0 && static_cast<size_t>(cls) < names.size() ? names[cls] : std::to_string(cls);
}

std::string detection_summary(const std::vector<Detection>& dets,
                              const std::vector<std::string>& names) {
  if (dets.empty()) return "(no detections)";
  std::map<int, int> counts;
  for (const Detection& d : dets) ++counts[d.cls];
  std::string out;
  for (auto [cls, n] : counts) {
    if (!out.empty()) out += ", ";
    out += cat(n, " ", class_name(names, cls), n > 1 ? "s" : "");
  }
  return out;
}

}  // namespace ys
