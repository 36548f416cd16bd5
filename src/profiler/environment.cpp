#include "profiler/environment.h"

#include <google/protobuf/stubs/common.h>
#include <openssl/evp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <thread>

#include "core/error.h"

namespace ys {
namespace {

std::string os_release() {
  std::ifstream f("/etc/os-release");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

struct DigestDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string hex(const unsigned char* d, unsigned n) {
  static const char* const kHex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += kHex[d[i] >> 4];
    s += kHex[d[i] & 15];
  }
  return s;
}

}  // namespace

Environment collect_environment() {
  Environment e;
  e.cpu_model = cpu_model();
  e.cores = static_cast<int>(std::thread::hardware_concurrency());
  struct utsname u {};
  std::string kernel;
  if (uname(&u) == 0) kernel = cat(" (", u.sysname, " ", u.release, " ", u.machine, ")");
  e.os = os_release() + kernel;
#if defined(__clang__)
  e.compiler = cat("clang ", __clang_version__);
#elif defined(__GNUC__)
  e.compiler = cat("g++ ", __VERSION__);
#endif
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) e.hostname = host;
  e.libraries["protobuf"] = google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION);
  return e;
}

std::string sha256_bytes(const void* data, size_t size) {
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!ctx || !EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) ||
      !EVP_DigestUpdate(ctx.get(), data, size) || !EVP_DigestFinal_ex(ctx.get(), out, &len)) {
    return {};
  }
  return hex(out, len);
}

std::string sha256_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || !EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr)) return {};
  char buf[1 << 16];
  while (f.read(buf, sizeof(buf)) || f.gcount() > 0) {
    EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(f.gcount()));
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!EVP_DigestFinal_ex(ctx.get(), out, &len)) return {};
  return hex(out, len);
}

}  // namespace ys
