// The encrypted report file: a folder survives seal and open byte for byte; a wrong key, every
// truncation, every flipped bit of the header and a sample of the payload's are refused with a
// message and no plaintext; unsafe archive paths are refused; keys parse from hex, base64 and
// files, and never appear in a message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/error.h"
#include "report/report_archive.h"
#include "report/report_crypto.h"
#include "report/report_key.h"

namespace ys {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr ScryptParams kCheapScrypt{1024, 8, 1};

GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

ReportKey raw_key(const char* hex = kHexKey) {
  return report_key_from("", env_of({{"YOLOSCOPE_REPORT_KEY", hex}}));
}

ReportKey passphrase_key(const std::string& pass) {
  return report_key_from("", env_of({{"YOLOSCOPE_REPORT_PASSPHRASE", pass}}));
}

FileMap sample_files() {
  std::string binary;
  for (int i = 0; i < 3000; ++i) binary += static_cast<char>(i * 7 % 256);
  return {{"report.html", "<html>report</html>"},
          {"summary.json", R"({"a": 1})"},
          {"empty.txt", ""},
          {"gpu/trace.bin", binary}};
}

// The message of the ys::Error that `fn` throws, or "" when it throws none.
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("ys_crypto_" + std::to_string(getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(ReportCrypto, FolderRoundTripsByteForByte) {
  TempDir tmp;
  const fs::path src = tmp.path() / "profile";
  for (const auto& [name, bytes] : sample_files()) {
    fs::create_directories((src / name).parent_path());
    std::ofstream(src / name, std::ios::binary) << bytes;
  }
  const ReportKey key = raw_key();
  const std::string sealed = seal_report(read_folder(src.string()), key);
  const fs::path out = tmp.path() / "decrypted";
  write_folder(out.string(), open_report(sealed, key, "profile.ysr"));
  EXPECT_EQ(read_folder(out.string()), sample_files());
  EXPECT_TRUE(fs::is_directory(out / "gpu"));
}

TEST(ReportCrypto, EverySealDrawsAFreshNonce) {
  const ReportKey key = raw_key();
  const std::string a = seal_report(sample_files(), key);
  const std::string b = seal_report(sample_files(), key);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_NE(a.substr(44, 12), b.substr(44, 12));
  EXPECT_NE(a.substr(kReportHeaderBytes), b.substr(kReportHeaderBytes));
}

TEST(ReportCrypto, PassphraseRoundTripsAndAWrongOneIsRefused) {
  const std::string sealed =
      seal_report(sample_files(), passphrase_key("correct horse"), kCheapScrypt);
  EXPECT_EQ(open_report(sealed, passphrase_key("correct horse"), "p.ysr"), sample_files());
  const std::string message =
      error_of([&] { open_report(sealed, passphrase_key("correct hors"), "p.ysr"); });
  EXPECT_NE(message.find("wrong key or passphrase"), std::string::npos) << message;
  EXPECT_EQ(message.find("correct hors"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { open_report(sealed, raw_key(), "p.ysr"); }).find("with a passphrase"),
            std::string::npos);
}

TEST(ReportCrypto, AWrongKeyIsRefusedWithoutShowingEitherKey) {
  const std::string sealed = seal_report(sample_files(), raw_key());
  const char* other = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  const std::string message = error_of([&] { open_report(sealed, raw_key(other), "x.ysr"); });
  EXPECT_NE(message.find("x.ysr: wrong key or passphrase (YOLOSCOPE_REPORT_KEY)"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find(kHexKey), std::string::npos);
  EXPECT_EQ(message.find(other), std::string::npos);
}

TEST(ReportCrypto, EveryTruncationIsRefused) {
  const ReportKey key = raw_key();
  const std::string sealed = seal_report(sample_files(), key);
  for (size_t len = 0; len < sealed.size(); len += (len < kReportHeaderBytes + 64 ? 1 : 97))
    EXPECT_NE(error_of([&] { open_report(sealed.substr(0, len), key, "t.ysr"); }), "")
        << "length " << len;
  EXPECT_NE(error_of([&] {
              open_report(sealed.substr(0, sealed.size() - 1), key, "t.ysr");
            }).find("truncated"),
            std::string::npos);
  EXPECT_NE(error_of([&] { open_report(sealed + "x", key, "t.ysr"); }), "");
}

TEST(ReportCrypto, EveryHeaderBitAndSampledPayloadBitsAreAuthenticated) {
  const ReportKey key = raw_key();
  const std::string sealed = seal_report(sample_files(), key);
  auto flipped = [&](size_t bit) {
    std::string bad = sealed;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    return bad;
  };
  for (size_t bit = 0; bit < kReportHeaderBytes * 8; ++bit)
    EXPECT_NE(error_of([&] { open_report(flipped(bit), key, "f.ysr"); }), "")
        << "header bit " << bit;
  // Every 61st bit of the ciphertext (a prime stride visits every bit position within a byte)
  // and every bit of the tag.
  const size_t total = sealed.size() * 8;
  for (size_t bit = kReportHeaderBytes * 8; bit < total; bit += (bit < total - 128 ? 61 : 1))
    EXPECT_NE(error_of([&] { open_report(flipped(bit), key, "f.ysr"); }).find("wrong key"),
              std::string::npos)
        << "payload bit " << bit;
}

TEST(ReportCrypto, OtherFilesAreNotReports) {
  const ReportKey key = raw_key();
  EXPECT_NE(error_of([&] { open_report("<html>", key, "r.html"); }).find("not an encrypted"),
            std::string::npos);
  EXPECT_NE(error_of([&] { open_report("", key, "e.ysr"); }), "");
}

TEST(ReportArchive, RefusesUnsafeAndRepeatedPaths) {
  for (const char* path : {"../x", "/etc/passwd", "a/../../b", "a//b", "./a", "a/", "a\\b"}) {
    std::string packed = pack_files({{path, "x"}});
    EXPECT_NE(error_of([&] { unpack_files(packed); }).find("unsafe path"), std::string::npos)
        << path;
  }
  std::string two = pack_files({{"a", "1"}, {"b", "2"}});
  two.replace(two.find('b'), 1, "a");
  EXPECT_NE(error_of([&] { unpack_files(two); }).find("twice"), std::string::npos);
  EXPECT_NE(error_of([&] { unpack_files(pack_files(sample_files()) + "z"); }), "");
}

TEST(ReportArchive, WriteFolderRefusesAFolderInUse) {
  TempDir tmp;
  std::ofstream(tmp.path() / "keep.txt") << "mine";
  EXPECT_THROW(write_folder(tmp.path().string(), sample_files()), Error);
  EXPECT_EQ(read_folder(tmp.path().string()).size(), 1u);
}

TEST(ReportKey, ParsesHexBase64AndKeyFiles) {
  SecretKey k;
  ASSERT_TRUE(parse_key_text(kHexKey, k));
  EXPECT_EQ(k.bytes[31], 0x1f);
  SecretKey b;
  ASSERT_TRUE(parse_key_text(" AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", b));
  EXPECT_EQ(b.bytes, k.bytes);
  EXPECT_FALSE(parse_key_text("abcd", b));
  EXPECT_FALSE(parse_key_text(std::string(kHexKey) + "00", b));
  EXPECT_FALSE(parse_key_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", b));

  TempDir tmp;
  const fs::path file = tmp.path() / "key.bin";
  std::ofstream(file, std::ios::binary) << std::string(k.bytes.begin(), k.bytes.end());
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(report_key_from(file.string(), env_of({})).key.bytes, k.bytes);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a key";
  const std::string message = error_of([&] { report_key_from(file.string(), env_of({})); });
  EXPECT_NE(message.find("not a key"), std::string::npos);
}

TEST(ReportKey, RefusesMissingAmbiguousAndMalformedKeys) {
  EXPECT_FALSE(report_key_configured("", env_of({{"YOLOSCOPE_REPORT_KEY", ""}})));
  EXPECT_NE(error_of([] { report_key_from("", env_of({})); }).find("no report key"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              report_key_from("", env_of({{"YOLOSCOPE_REPORT_KEY", kHexKey},
                                          {"YOLOSCOPE_REPORT_PASSPHRASE", "p"}}));
            }).find("both"),
            std::string::npos);
  const std::string message = error_of([] {
    report_key_from("", env_of({{"YOLOSCOPE_REPORT_KEY", "secret-ish"}}));
  });
  EXPECT_NE(message.find("is not a key"), std::string::npos);
  EXPECT_EQ(message.find("secret-ish"), std::string::npos);
}

}  // namespace
}  // namespace ys
