#include "backends/cuda/plan_cache.h"

#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.h"

namespace ys::cuda {

namespace {

constexpr const char* kKind = "conv_plans";

std::string uuid_hex(const cudaUUID_t& uuid) {
  std::string out;
  char byte[3];
  for (char c : uuid.bytes) {
    std::snprintf(byte, sizeof byte, "%02x", static_cast<unsigned char>(c));
    out += byte;
  }
  return out;
}

bool plain_word(const std::string& s) {
  return !s.empty() && s.find_first_of(" \t\r\n") == std::string::npos;
}

// "stale: key differs (driver)" -> "stale: driver changed"; anything else is a damaged file.
std::string describe_problem(const std::string& problem) {
  const std::string prefix = "stale: key differs (";
  if (problem.rfind(prefix, 0) == 0 && problem.back() == ')')
    return cat("stale: ", problem.substr(prefix.size(), problem.size() - prefix.size() - 1),
               " changed");
  return cat("unreadable (", problem, ")");
}

}  // namespace

std::optional<StartupCacheKey> conv_cache_key(int device, const std::string& model_sha256,
                                              const std::string& shapes, int batch, bool half,
                                              const std::string& settings, std::string* why_not) {
  cudaDeviceProp prop{};
  int driver = 0;
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess ||
      cudaDriverGetVersion(&driver) != cudaSuccess) {
    (void)cudaGetLastError();
    if (why_not) *why_not = cat("cannot ask CUDA device ", device, " its name and driver");
    return std::nullopt;
  }
  StartupCacheKey key;
  key.device = cat(prop.name, " ", uuid_hex(prop.uuid));
  key.driver = std::to_string(driver);
  key.library = cat("cudnn ", cudnnGetVersion(), " cudart ", CUDART_VERSION);
  key.model_sha256 = model_sha256;
  key.shapes = shapes;
  key.batch = batch;
  key.precision = half ? "fp16" : "fp32";
  key.settings = settings;
  return key;
}

std::string encode_conv_choices(const ConvChoices& choices) {
  std::string out;
  for (const auto& [layer, c] : choices) {
    if (!plain_word(layer) || !plain_word(c.label)) continue;
    out += cat(layer, " ", c.algo, " ", c.math, " ", c.workspace_bytes, " ", c.fused_engine, " ",
               c.legacy_fused_algo, " ", c.label, " ", c.plan_json.size(), "\n");
    out += c.plan_json;
  }
  return out;
}

std::optional<ConvChoices> decode_conv_choices(std::string_view payload) {
  ConvChoices choices;
  size_t at = 0;
  while (at < payload.size()) {
    const size_t eol = payload.find('\n', at);
    if (eol == std::string_view::npos) return std::nullopt;
    std::istringstream fields{std::string(payload.substr(at, eol - at))};
    std::string layer, rest;
    ConvChoice c;
    size_t json_bytes = 0;
    if (!(fields >> layer >> c.algo >> c.math >> c.workspace_bytes >> c.fused_engine >>
          c.legacy_fused_algo >> c.label >> json_bytes) ||
        (fields >> rest))
      return std::nullopt;
    at = eol + 1;
    if (payload.size() - at < json_bytes) return std::nullopt;
    c.plan_json = std::string(payload.substr(at, json_bytes));
    at += json_bytes;
    if (!choices.emplace(layer, std::move(c)).second) return std::nullopt;
  }
  return choices;
}

const ConvChoice* ConvCache::find(const std::string& layer) const {
  const auto it = stored.find(layer);
  return it == stored.end() ? nullptr : &it->second;
}

ConvCache open_conv_cache(const StartupCacheKey& key) {
  const std::string dir = startup_cache_dir();
  if (dir.empty()) return disabled_conv_cache("neither YOLOSCOPE_CACHE_DIR nor HOME is set");
  ConvCache cache;
  cache.enabled = true;
  cache.key = key;
  cache.path = startup_cache_path(dir, kKind, key);
  StartupCacheRead read = read_startup_cache(cache.path, key);
  if (!read.payload) {
    cache.problem = read.problem;
    return cache;
  }
  std::optional<ConvChoices> choices = decode_conv_choices(*read.payload);
  if (!choices) {
    cache.problem = "choices do not parse";
    return cache;
  }
  cache.stored = std::move(*choices);
  return cache;
}

ConvCache disabled_conv_cache(std::string why) {
  ConvCache cache;
  cache.off_reason = std::move(why);
  return cache;
}

std::string finish_conv_cache(ConvCache& cache, bool* warn) {
  *warn = false;
  // A plan without convolutions (a single-op test, a decode-only graph) has nothing to keep.
  if (cache.chosen.empty()) return {};
  if (!cache.enabled) return cat("start-up cache: off (", cache.off_reason, ")");
  const size_t rebuilt = cache.chosen.size() -
                         std::min(cache.chosen.size(), static_cast<size_t>(cache.taken)) +
                         static_cast<size_t>(cache.plans_rebuilt);
  const bool hit = !cache.stored.empty() && rebuilt == 0;
  if (hit) return cat("start-up cache: hit (", cache.path, ")");
  std::string line;
  if (!cache.problem.empty()) {
    *warn = true;
    line = cat("start-up cache: ", describe_problem(cache.problem), ", rebuilt");
  } else if (cache.stored.empty()) {
    line = "start-up cache: miss";
  } else {
    *warn = cache.rebuilt > 0 || cache.plans_rebuilt > 0;
    line = cat("start-up cache: partial hit, ", rebuilt, " of ", cache.chosen.size(),
               " convolutions rebuilt",
               cache.rebuilt_why.empty() ? "" : cat(" (", cache.rebuilt_why, ")"));
  }
  if (std::string why =
          write_startup_cache(cache.path, cache.key, encode_conv_choices(cache.chosen));
      !why.empty()) {
    *warn = true;
    return cat(line, ", not written: ", why, "; the next start builds again");
  }
  return cat(line, ", written (", cache.path, ")");
}

}  // namespace ys::cuda
