// The CUDA side of the start-up cache (issue 19.3): what each convolution chose at model load (the
// legacy algorithm and its math, the fused cuDNN engine or none, the workspace), so that a second
// start of the same model on the same device, driver and cuDNN can take those choices without
// timing every candidate or NVRTC-compiling the losers. The key and file format are
// core/startup_cache's. Every cache problem is a one-line note and an empty result: the caller
// then builds as without a cache. Compiled but not yet run on a GPU (no GPU lent when written).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/startup_cache.h"

namespace ys::cuda {

struct ConvChoice {
  int algo = -1;              // cudnnConvolutionFwdAlgo_t of the unfused path
  int math = 0;               // cudnnMathType_t
  int64_t fused_engine = -1;  // cuDNN's global engine index of the fused plan; -1: unfused
  size_t workspace_bytes = 0;
};

// Keyed by the layer's name in the model graph.
using ConvChoices = std::map<std::string, ConvChoice>;

// The key for `device`: its name and UUID, the driver's and cuDNN's versions, with the caller's
// model hash, input shapes, batch and precision. nullopt (with the reason in *why_not) where the
// device cannot be asked.
std::optional<StartupCacheKey> conv_cache_key(int device, const std::string& model_sha256,
                                              const std::string& shapes, int batch, bool half,
                                              std::string* why_not);

// One "layer algo math fused_engine workspace" line per convolution; nullopt on any line that does
// not parse (a layer name with white space is not stored).
std::string encode_conv_choices(const ConvChoices& choices);
std::optional<ConvChoices> decode_conv_choices(const std::string& payload);

// The choices stored for key in the cache directory, or empty. A stale, corrupt or unparsable
// file is named with the reason in one warning line and left for store_conv_choices to replace.
ConvChoices load_conv_choices(const StartupCacheKey& key);
// Writes the choices; a cache directory that cannot be written is one warning line.
void store_conv_choices(const StartupCacheKey& key, const ConvChoices& choices);

}  // namespace ys::cuda
