#include "backends/cuda/plan_cache.h"

#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdio>
#include <sstream>

#include "core/error.h"
#include "core/log.h"

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

}  // namespace

std::optional<StartupCacheKey> conv_cache_key(int device, const std::string& model_sha256,
                                              const std::string& shapes, int batch, bool half,
                                              std::string* why_not) {
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
  return key;
}

std::string encode_conv_choices(const ConvChoices& choices) {
  std::string out;
  for (const auto& [layer, c] : choices) {
    if (layer.empty() || layer.find_first_of(" \t\r\n") != std::string::npos) continue;
    out += cat(layer, " ", c.algo, " ", c.math, " ", c.fused_engine, " ", c.workspace_bytes, "\n");
  }
  return out;
}

std::optional<ConvChoices> decode_conv_choices(const std::string& payload) {
  ConvChoices choices;
  std::istringstream lines(payload);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string layer, rest;
    ConvChoice c;
    if (!(fields >> layer >> c.algo >> c.math >> c.fused_engine >> c.workspace_bytes) ||
        (fields >> rest))
      return std::nullopt;
    choices[layer] = c;
  }
  return choices;
}

ConvChoices load_conv_choices(const StartupCacheKey& key) {
  const std::string dir = startup_cache_dir();
  if (dir.empty()) return {};
  const std::string path = startup_cache_path(dir, kKind, key);
  StartupCacheRead read = read_startup_cache(path, key);
  if (!read.payload) {
    if (!read.problem.empty())
      log_warn("start-up cache ", path, ": ", read.problem, "; rebuilding the convolution plans");
    return {};
  }
  std::optional<ConvChoices> choices = decode_conv_choices(*read.payload);
  if (!choices) {
    log_warn("start-up cache ", path, ": unreadable choices; rebuilding the convolution plans");
    return {};
  }
  return *choices;
}

void store_conv_choices(const StartupCacheKey& key, const ConvChoices& choices) {
  const std::string dir = startup_cache_dir();
  if (dir.empty()) return;
  const std::string path = startup_cache_path(dir, kKind, key);
  if (std::string why = write_startup_cache(path, key, encode_conv_choices(choices)); !why.empty())
    log_warn("start-up cache ", path, ": not written (", why, "); the next start builds again");
}

}  // namespace ys::cuda
