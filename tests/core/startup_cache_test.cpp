#include "core/startup_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/file_io.h"

namespace ys {
namespace {

StartupCacheKey sample_key() {
  return {"NVIDIA H200 GPU-1234",
          "580.159.04",
          "cudnn 91400",
          sha256_hex("model bytes"),
          "images:1x3x640x640",
          1,
          "fp16",
          "graph_fusion=1"};
}

std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("ys_startup_cache_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(StartupCache, Sha256HexKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(StartupCache, ModelAndDeviceComponentsChangeThePath) {
  const StartupCacheKey base = sample_key();
  const std::string path = startup_cache_path("/d", "conv_plans", base);
  const std::vector<std::function<void(StartupCacheKey&)>> changes = {
      [](StartupCacheKey& k) { k.device = "NVIDIA H200 GPU-5678"; },
      [](StartupCacheKey& k) { k.model_sha256 = sha256_hex("other model"); },
      [](StartupCacheKey& k) { k.shapes = "images:1x3x320x320"; },
      [](StartupCacheKey& k) { k.batch = 32; },
      [](StartupCacheKey& k) { k.precision = "fp32"; },
      [](StartupCacheKey& k) { k.settings = "graph_fusion=0"; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    StartupCacheKey k = base;
    changes[i](k);
    EXPECT_NE(startup_cache_path("/d", "conv_plans", k), path) << "component " << i;
  }
  EXPECT_EQ(startup_cache_path("/d", "conv_plans", sample_key()), path);
  EXPECT_NE(startup_cache_key_text(base).find("format=" + std::to_string(kStartupCacheFormat)),
            std::string::npos);
}

// A new driver or cuDNN keeps the file's name, so the old file is found and named stale.
TEST(StartupCache, DriverAndLibraryChangesAreStaleAtTheSamePath) {
  const std::string path = startup_cache_path("/d", "conv_plans", sample_key());
  const std::string file = encode_startup_cache(sample_key(), "p");
  StartupCacheKey driver = sample_key();
  driver.driver = "999.0";
  EXPECT_EQ(startup_cache_path("/d", "conv_plans", driver), path);
  EXPECT_EQ(decode_startup_cache(file, driver).problem, "stale: key differs (driver)");
  StartupCacheKey library = sample_key();
  library.library = "cudnn 92000";
  EXPECT_EQ(startup_cache_path("/d", "conv_plans", library), path);
  EXPECT_EQ(decode_startup_cache(file, library).problem, "stale: key differs (library)");
  StartupCacheKey settings = sample_key();
  settings.settings = "graph_fusion=0";
  EXPECT_EQ(decode_startup_cache(file, settings).problem, "stale: key differs (settings)");
}

TEST(StartupCache, RoundTripIncludingEmptyAndBinaryPayloads) {
  for (const std::string& payload :
       {std::string(), std::string("a\0b\xff", 4), std::string(1 << 16, 'x')}) {
    const auto read =
        decode_startup_cache(encode_startup_cache(sample_key(), payload), sample_key());
    ASSERT_TRUE(read.payload) << read.problem;
    EXPECT_EQ(*read.payload, payload);
    EXPECT_TRUE(read.problem.empty());
  }
}

TEST(StartupCache, StaleKeyNamesTheComponent) {
  StartupCacheKey other = sample_key();
  other.driver = "999.0";
  const auto read = decode_startup_cache(encode_startup_cache(sample_key(), "p"), other);
  EXPECT_FALSE(read.payload);
  EXPECT_EQ(read.problem, "stale: key differs (driver)");
}

TEST(StartupCache, EveryCorruptByteIsDetected) {
  const std::string good = encode_startup_cache(sample_key(), "payload bytes");
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    const auto read = decode_startup_cache(bad, sample_key());
    EXPECT_FALSE(read.payload) << "byte " << i;
    EXPECT_FALSE(read.problem.empty()) << "byte " << i;
  }
}

TEST(StartupCache, TruncationMagicAndVersion) {
  const std::string good = encode_startup_cache(sample_key(), "payload bytes");
  for (size_t n = 0; n < good.size(); ++n) {
    const auto read = decode_startup_cache(good.substr(0, n), sample_key());
    EXPECT_FALSE(read.payload) << "length " << n;
    EXPECT_EQ(read.problem, "truncated") << "length " << n;
  }
  std::string magic = good;
  magic[0] = 'Z';
  EXPECT_EQ(decode_startup_cache(magic, sample_key()).problem, "bad magic");
  std::string version = good;
  version[8] = static_cast<char>(kStartupCacheFormat + 6);
  EXPECT_EQ(decode_startup_cache(version, sample_key()).problem,
            "format version " + std::to_string(kStartupCacheFormat + 6) + ", expected " +
                std::to_string(kStartupCacheFormat));
  EXPECT_EQ(decode_startup_cache(good + "x", sample_key()).problem,
            "trailing bytes after the checksum");
}

TEST(StartupCache, DirectoryFromEnvironment) {
  const char* old = std::getenv("YOLOSCOPE_CACHE_DIR");
  const std::string saved = old ? old : "";
  ::setenv("YOLOSCOPE_CACHE_DIR", "/some/where", 1);
  EXPECT_EQ(startup_cache_dir(), "/some/where");
  ::unsetenv("YOLOSCOPE_CACHE_DIR");
  if (const char* home = std::getenv("HOME"); home && *home) {
    EXPECT_EQ(startup_cache_dir(), std::string(home) + "/.cache/yoloscope");
  }
  if (old) ::setenv("YOLOSCOPE_CACHE_DIR", saved.c_str(), 1);
}

TEST(StartupCache, FileRoundTripMissingAndUnwritable) {
  const auto dir = scratch_dir("file");
  const std::string path = startup_cache_path((dir / "sub").string(), "conv_plans", sample_key());
  const auto absent = read_startup_cache(path, sample_key());
  EXPECT_FALSE(absent.payload);
  EXPECT_TRUE(absent.problem.empty());
  ASSERT_EQ(write_startup_cache(path, sample_key(), "plans"), "");
  const auto read = read_startup_cache(path, sample_key());
  ASSERT_TRUE(read.payload) << read.problem;
  EXPECT_EQ(*read.payload, "plans");
  // A regular file where the directory should be: the write says why and does not throw.
  write_file_atomic((dir / "blocker").string(), "x", "test");
  const std::string why =
      write_startup_cache((dir / "blocker" / "c.bin").string(), sample_key(), "plans");
  EXPECT_NE(why.find("blocker"), std::string::npos) << why;
  std::filesystem::remove_all(dir);
}

TEST(StartupCache, ConcurrentWritersLeaveOneWholeFile) {
  const auto dir = scratch_dir("race");
  const std::string path = startup_cache_path(dir.string(), "conv_plans", sample_key());
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t)
    writers.emplace_back([&, t] {
      const std::string payload(200000 + t * 1000, static_cast<char>('a' + t));
      for (int i = 0; i < 10; ++i) EXPECT_EQ(write_startup_cache(path, sample_key(), payload), "");
    });
  for (auto& w : writers) w.join();
  const auto read = read_startup_cache(path, sample_key());
  ASSERT_TRUE(read.payload) << read.problem;
  const char c = read.payload->front();
  EXPECT_EQ(read.payload->size(), static_cast<size_t>(200000 + (c - 'a') * 1000));
  EXPECT_EQ(read.payload->find_first_not_of(c), std::string::npos);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "temporary files left behind";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ys
