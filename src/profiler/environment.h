// A description of the machine and software a profile was taken on, so that two reports can be
// compared knowing whether the ground moved under them.
#pragma once

#include <map>
#include <string>

namespace ys {

struct Environment {
  std::string cpu_model;
  int cores = 0;
  std::string os;
  std::string compiler;
  std::string hostname;
  std::map<std::string, std::string>
      libraries;    // name -> version, filled by the layers that link them
  std::string gpu;  // empty without one
};

Environment collect_environment();

// Hex SHA-256 of a file's bytes; empty when it cannot be read.
std::string sha256_file(const std::string& path);
std::string sha256_bytes(const void* data, size_t size);

}  // namespace ys
