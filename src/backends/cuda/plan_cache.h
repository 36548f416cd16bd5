// The CUDA side of the start-up cache (issue 19.3): what each convolution chose at model load (the
// legacy algorithm and its math, cuDNN's fused engine or the legacy fused call or neither, the
// workspace) and the fused engine's finalized execution plan as cuDNN's JSON, so that a second
// start of the same model on the same device, driver and cuDNN takes those choices without
// timing any candidate and restores the runtime-compiled kernels without NVRTC. The key and file
// format are core/startup_cache's. A cache problem is never an error: the plan builds as without
// a cache and the one-line note says why. Not yet run on a GPU (none lent when written).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/startup_cache.h"

namespace ys::cuda {

struct ConvChoice {
  int algo = -1;               // cudnnConvolutionFwdAlgo_t of the unfused path
  int math = 0;                // cudnnMathType_t it runs with
  size_t workspace_bytes = 0;  // of algo
  int64_t fused_engine = -1;   // cuDNN's global engine index of the fused plan; -1: none
  int legacy_fused_algo = -1;  // cudnnConvolutionBiasActivationForward's algorithm; -1: none
  std::string label;           // the kernel's implementation label, as profiles show it
  std::string plan_json;       // the fused plan, serialized; empty where cuDNN did not serialize
};

// Keyed by the convolution's output value name (white space made '_').
using ConvChoices = std::map<std::string, ConvChoice>;

// The key for `device`: its name and UUID, the driver's and cuDNN's versions, with the caller's
// model hash, input shapes, batch, precision and settings. nullopt (with the reason in *why_not)
// where the device cannot be asked.
std::optional<StartupCacheKey> conv_cache_key(int device, const std::string& model_sha256,
                                              const std::string& shapes, int batch, bool half,
                                              const std::string& settings, std::string* why_not);

// Per convolution a text line "layer algo math workspace fused_engine legacy_fused_algo label
// json_bytes" and then json_bytes of plan. nullopt on anything that does not parse; a layer or
// label with white space is not stored.
std::string encode_conv_choices(const ConvChoices& choices);
std::optional<ConvChoices> decode_conv_choices(std::string_view payload);

// One model load's cache: what the file held, what this load chose, and how it went.
struct ConvCache {
  bool enabled = false;  // false: no cache folder or key; nothing is read or written
  std::string off_reason;
  StartupCacheKey key;
  std::string path;
  ConvChoices stored;       // what the file held; empty on a miss
  std::string problem;      // why a file there was not taken ("stale: key differs (driver)", ...)
  ConvChoices chosen;       // what this load's convolutions run with, written by finish_conv_cache
  int taken = 0;            // convolutions that took their stored choice
  int rebuilt = 0;          // convolutions with a stored choice that had to be worked out again
  int plans_rebuilt = 0;    // stored choices taken whose plan cuDNN would not restore from JSON
  std::string rebuilt_why;  // the first rebuild's reason

  // The stored choice for `layer`, or nullptr.
  const ConvChoice* find(const std::string& layer) const;
};

// Reads the file for key (YOLOSCOPE_CACHE_DIR, else ~/.cache/yoloscope); logs nothing.
ConvCache open_conv_cache(const StartupCacheKey& key);
// A cache that is off, with the reason the note gives.
ConvCache disabled_conv_cache(std::string why);

// After the last convolution was created: writes the file unless every convolution took its
// stored choice, and returns the one line to say: "start-up cache: hit (path)", "start-up cache:
// miss, written (path)", "start-up cache: stale: driver changed, rebuilt, written (path)", ...
// `warn` is set where the line reports a problem (a stale, corrupt or unwritable cache, a plan
// rebuilt). Empty, writing nothing, where the plan had no convolution.
std::string finish_conv_cache(ConvCache& cache, bool* warn);

}  // namespace ys::cuda
