// The on-disk start-up cache's key and file format, device-independent so that the CPU tests prove
// it: a backend stores what is slow to work out at model load (issue 19.3: tuned convolution plan
// choices) under a key naming everything that could make the stored answer wrong (device, driver,
// library version, model hash, shapes, batch, precision, this format's version). A file is magic,
// format version, the key's text, the payload's length, the payload and a SHA-256 of all before
// it; a stale or damaged file reads as a miss with the reason, and nothing here throws, so a
// cache problem can only cost the time the cache would have saved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ys {

inline constexpr std::uint32_t kStartupCacheFormat = 2;

struct StartupCacheKey {
  std::string device;        // name and UUID
  std::string driver;        // driver version
  std::string library;       // e.g. "cudnn 91400"
  std::string model_sha256;  // of the model file's bytes or the built-in architecture's definition
  std::string shapes;        // input shapes, e.g. "images:1x3x640x640"
  int batch = 1;
  std::string precision;  // "fp16", "fp32"
  std::string settings;   // backend options that change the choices, e.g. "graph_fusion=1"
};

// Lower-case hex SHA-256 of bytes (OpenSSL EVP).
std::string sha256_hex(std::string_view bytes);

// One "name=value" line per component, the format version included; what a file echoes.
std::string startup_cache_key_text(const StartupCacheKey& key);

// YOLOSCOPE_CACHE_DIR, else $HOME/.cache/yoloscope; empty where neither is set.
std::string startup_cache_dir();

// dir/<kind>-<first 32 hex digits of a SHA-256>.bin, hashed over what names one model on one
// device (device, model, shapes, batch, precision, settings) and not over the driver, library or
// format version: an upgrade then finds the old file, reads it as stale naming what changed, and
// the rebuilt file replaces it instead of piling up beside it.
std::string startup_cache_path(const std::string& dir, std::string_view kind,
                               const StartupCacheKey& key);

std::string encode_startup_cache(const StartupCacheKey& key, std::string_view payload);

// payload on a hit; otherwise problem says why ("bad magic", "truncated", "checksum mismatch",
// "format version 7, expected 1", "stale: key differs (driver)"); both empty: no file.
struct StartupCacheRead {
  std::optional<std::string> payload;
  std::string problem;
};
StartupCacheRead decode_startup_cache(std::string_view file, const StartupCacheKey& key);
StartupCacheRead read_startup_cache(const std::string& path, const StartupCacheKey& key);

// Writes through a temporary file unique to this process and thread, renamed over path, so
// concurrent writers leave one whole file. Creates the directory. Returns "" or why it could not.
std::string write_startup_cache(const std::string& path, const StartupCacheKey& key,
                                std::string_view payload);

}  // namespace ys
