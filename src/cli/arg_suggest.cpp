#include "cli/arg_suggest.h"

#include <algorithm>
#include <array>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/arg_values.h"
#include "cli/args.h"
#include "cli/py_literal.h"
#include "core/error.h"

namespace ys {
namespace {

// SequenceMatcher.ratio() without junk heuristics (they only start at 200 characters).
double similarity(std::string_view a, std::string_view b) {
  size_t matched = 0;
  std::vector<std::array<size_t, 4>> todo = {{0, a.size(), 0, b.size()}};
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  while (!todo.empty()) {
    const auto [alo, ahi, blo, bhi] = todo.back();
    todo.pop_back();
    // Longest common block; ties go to the earliest in a, then in b, as in difflib.
    size_t best_i = alo, best_j = blo, best_k = 0;
    std::fill(prev.begin(), prev.end(), 0);
    for (size_t i = alo; i < ahi; ++i) {
      std::fill(cur.begin(), cur.end(), 0);
      for (size_t j = blo; j < bhi; ++j) {
        if (a[i] != b[j]) continue;
        const size_t k = cur[j + 1] = prev[j] + 1;
        if (k > best_k) best_i = i + 1 - k, best_j = j + 1 - k, best_k = k;
      }
      std::swap(prev, cur);
    }
    if (!best_k) continue;
    matched += best_k;
    if (alo < best_i && blo < best_j) todo.push_back({alo, best_i, blo, best_j});
    if (best_i + best_k < ahi && best_j + best_k < bhi)
      todo.push_back({best_i + best_k, ahi, best_j + best_k, bhi});
  }
  const size_t total = a.size() + b.size();
  return total ? 2.0 * static_cast<double>(matched) / static_cast<double>(total) : 1.0;
}

// Every word the command line accepts as an argument, with the example a suggestion shows.
std::vector<std::pair<std::string, std::string>> suggestion_targets() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ArgSpec& spec : kArgSpecs) {
    const bool example = !spec.default_value.empty() && !nullable(spec);
    out.emplace_back(spec.key, example ? cat(spec.key, "=", spec.default_value) : cat(spec.key));
  }
  out.emplace_back("task", "task=detect");
  out.emplace_back("mode", "mode=predict");
  out.emplace_back("detect", "detect");
  for (std::string_view w : kModes) out.emplace_back(w, w);
  for (std::string_view w : kSpecialModes) out.emplace_back(w, w);
  return out;
}

}  // namespace

std::string unknown_key_message(const std::string& word) {
  std::vector<std::string> examples;
  const auto targets = suggestion_targets();
  for (const std::string& key : similar_keys(word))
    for (const auto& [name, example] : targets)
      if (name == key) examples.push_back(example);
  std::string msg = cat("'", word, "' is not a valid YoloScope argument.");
  if (!examples.empty()) msg += cat(" Similar arguments are i.e. ", py_list(examples), ".");
  return msg;
}

std::vector<std::string> similar_keys(const std::string& word) {
  std::vector<std::pair<double, std::string>> scored;
  for (const auto& [name, example] : suggestion_targets()) {
    const double score = similarity(name, word);
    if (score >= 0.6) scored.emplace_back(score, name);
  }
  // heapq.nlargest over (score, name): higher score first, then the larger name.
  std::sort(scored.begin(), scored.end(), std::greater<>());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace ys
