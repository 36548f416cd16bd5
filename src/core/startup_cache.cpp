#include "core/startup_cache.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"

namespace ys {

namespace {

constexpr std::string_view kMagic{"YSCACHE\0", 8};
constexpr size_t kDigest = 32;

void put_u32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& s, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_le(std::string_view s, size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(s[at + i])} << (8 * i);
  return v;
}

std::array<unsigned char, kDigest> sha256(std::string_view bytes) {
  std::array<unsigned char, kDigest> out{};
  unsigned int len = 0;
  YS_CHECK(EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) == 1 &&
               len == kDigest,
           "SHA-256 failed");
  return out;
}

// Names the first component that differs, so the note says what made the cache stale.
std::string first_difference(std::string_view stored, std::string_view wanted) {
  size_t a = 0, b = 0;
  while (a < stored.size() || b < wanted.size()) {
    const size_t ea = std::min(stored.find('\n', a), stored.size());
    const size_t eb = std::min(wanted.find('\n', b), wanted.size());
    std::string_view la = stored.substr(a, ea - a), lb = wanted.substr(b, eb - b);
    if (la != lb) {
      std::string_view line = lb.empty() ? la : lb;
      return std::string(line.substr(0, line.find('=')));
    }
    a = ea + 1;
    b = eb + 1;
  }
  return "key";
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : sha256(bytes)) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

std::string startup_cache_key_text(const StartupCacheKey& key) {
  return cat("format=", kStartupCacheFormat, "\ndevice=", key.device, "\ndriver=", key.driver,
             "\nlibrary=", key.library, "\nmodel=", key.model_sha256, "\nshapes=", key.shapes,
             "\nbatch=", key.batch, "\nprecision=", key.precision, "\nsettings=", key.settings,
             "\n");
}

std::string startup_cache_dir() {
  if (const char* dir = std::getenv("YOLOSCOPE_CACHE_DIR"); dir && *dir) return dir;
  if (const char* home = std::getenv("HOME"); home && *home)
    return (std::filesystem::path(home) / ".cache" / "yoloscope").string();
  return {};
}

std::string startup_cache_path(const std::string& dir, std::string_view kind,
                               const StartupCacheKey& key) {
  const std::string identity = cat(key.device, "\n", key.model_sha256, "\n", key.shapes, "\n",
                                   key.batch, "\n", key.precision, "\n", key.settings);
  const std::string id = sha256_hex(identity).substr(0, 32);
  return (std::filesystem::path(dir) / cat(kind, "-", id, ".bin")).string();
}

std::string encode_startup_cache(const StartupCacheKey& key, std::string_view payload) {
  const std::string text = startup_cache_key_text(key);
  std::string out(kMagic);
  put_u32(out, kStartupCacheFormat);
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out += text;
  put_u64(out, payload.size());
  out += payload;
  const auto digest = sha256(out);
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

StartupCacheRead decode_startup_cache(std::string_view file, const StartupCacheKey& key) {
  auto bad = [](std::string why) { return StartupCacheRead{std::nullopt, std::move(why)}; };
  if (file.size() < kMagic.size()) return bad("truncated");
  if (file.substr(0, kMagic.size()) != kMagic) return bad("bad magic");
  size_t at = kMagic.size();
  if (file.size() < at + 8) return bad("truncated");
  const auto version = static_cast<std::uint32_t>(get_le(file, at, 4));
  if (version != kStartupCacheFormat)
    return bad(cat("format version ", version, ", expected ", kStartupCacheFormat));
  const std::uint64_t key_len = get_le(file, at + 4, 4);
  at += 8;
  if (file.size() - at < key_len + 8) return bad("truncated");
  const std::string_view stored_key = file.substr(at, key_len);
  at += key_len;
  const std::uint64_t payload_len = get_le(file, at, 8);
  at += 8;
  if (file.size() - at < kDigest || file.size() - at - kDigest < payload_len)
    return bad("truncated");
  if (file.size() - at - kDigest != payload_len) return bad("trailing bytes after the checksum");
  const auto digest = sha256(file.substr(0, at + payload_len));
  if (std::memcmp(digest.data(), file.data() + at + payload_len, kDigest) != 0)
    return bad("checksum mismatch");
  const std::string wanted = startup_cache_key_text(key);
  if (stored_key != wanted)
    return bad(cat("stale: key differs (", first_difference(stored_key, wanted), ")"));
  return {std::string(file.substr(at, payload_len)), {}};
}

StartupCacheRead read_startup_cache(const std::string& path, const StartupCacheKey& key) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  try {
    return decode_startup_cache(read_file_bytes(path), key);
  } catch (const std::exception& e) {
    return {std::nullopt, e.what()};
  }
}

std::string write_startup_cache(const std::string& path, const StartupCacheKey& key,
                                std::string_view payload) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return cat("cannot create ", target.parent_path().string(), " (", ec.message(), ")");
  std::filesystem::path tmp = target;
  tmp += cat(".tmp.", ::getpid(), ".", std::hash<std::thread::id>{}(std::this_thread::get_id()),
             ".", counter++);
  const std::string bytes = encode_startup_cache(key, payload);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return cat("cannot create ", tmp.string(), " (", std::strerror(errno), ")");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return cat("cannot write ", tmp.string());
    }
  }
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(tmp, ec);
    return cat("cannot rename onto ", path, " (", why, ")");
  }
  return {};
}

}  // namespace ys
