// A self-signed certificate for 127.0.0.1 and localhost, made by the openssl command for one
// test, in a folder removed afterwards. Tests skip when the openssl command is missing.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ys::testing {

struct SelfSignedCert {
  std::filesystem::path dir, cert, key;

  // "" when made; otherwise why not.
  std::string make(const std::string& name) {
    dir = std::filesystem::temp_directory_path() / ("ys_tls_" + name + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
        key.string() + "' -out '" + cert.string() + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return "the openssl command could not make a certificate";
    return "";
  }
  ~SelfSignedCert() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

}  // namespace ys::testing
