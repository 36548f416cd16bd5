#include "core/numa_memory.h"

#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ys {

std::string sysfs_pci_address(const std::string& bus_id) {
  std::string s;
  for (char c : bus_id) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Domain, bus, device.function: sysfs writes the domain in four digits, and always.
  const size_t colon = s.find(':');
  if (colon == std::string::npos) return s;
  if (s.find(':', colon + 1) == std::string::npos) return "0000:" + s;
  if (colon > 4) s.erase(0, colon - 4);
  return s;
}

std::optional<int> pci_numa_node(const std::string& bus_id, const std::string& pci_root) {
  std::ifstream in(pci_root + "/" + sysfs_pci_address(bus_id) + "/numa_node");
  int node = -1;
  if (!(in >> node) || node < 0) return std::nullopt;
  return node;
}

int online_numa_nodes(const std::string& node_root) {
  std::ifstream in(node_root + "/online");
  std::string list;
  if (!std::getline(in, list) || list.empty()) return 1;
  int count = 0;
  size_t at = 0;
  while (at < list.size()) {
    size_t end = list.find(',', at);
    if (end == std::string::npos) end = list.size();
    const std::string range = list.substr(at, end - at);
    const size_t dash = range.find('-');
    try {
      count += dash == std::string::npos
                   ? 1
                   : std::stoi(range.substr(dash + 1)) - std::stoi(range.substr(0, dash)) + 1;
    } catch (const std::exception&) {
      return 1;
    }
    at = end + 1;
  }
  return count > 0 ? count : 1;
}

std::optional<int> numa_node_of_page(const void* p) {
  int node = -1;
  if (syscall(SYS_get_mempolicy, &node, nullptr, 0UL, p, MPOL_F_NODE | MPOL_F_ADDR) != 0 ||
      node < 0)
    return std::nullopt;
  return node;
}

NodeLocalMemory::NodeLocalMemory(size_t bytes, int node, const char* what) : bytes_(bytes) {
  if (bytes == 0) return;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    bytes_ = 0;
    fail(ErrorKind::kOutOfMemory, "cannot map ", (bytes + (1 << 20) - 1) >> 20,
         " MiB of host memory for ", what, ": ", std::strerror(errno));
  }
  ptr_ = p;
  if (node >= 0) {
    // One bit per node, in unsigned longs, as mbind(2) takes it; maxnode counts bits + 1.
    const size_t bits = 8 * sizeof(unsigned long);
    std::vector<unsigned long> mask(static_cast<size_t>(node) / bits + 1, 0);
    mask[static_cast<size_t>(node) / bits] = 1UL << (static_cast<size_t>(node) % bits);
    // Preferred, not bound: a node short of memory then gives pages elsewhere rather than the
    // process being killed when the pages are touched.
    if (syscall(SYS_mbind, ptr_, bytes_, MPOL_PREFERRED, mask.data(), mask.size() * bits + 1, 0U) ==
        0)
      bound_ = true;
    else
      why_ = cat("mbind to NUMA node ", node, " failed: ", std::strerror(errno));
  }
  // Placed now, on the bound node, rather than where the first copy happens to run.
  std::memset(ptr_, 0, bytes_);
}

NodeLocalMemory::~NodeLocalMemory() {
  release();
}

NodeLocalMemory::NodeLocalMemory(NodeLocalMemory&& o) noexcept
    : ptr_(std::exchange(o.ptr_, nullptr)),
      bytes_(std::exchange(o.bytes_, 0)),
      bound_(std::exchange(o.bound_, false)),
      why_(std::move(o.why_)) {}

NodeLocalMemory& NodeLocalMemory::operator=(NodeLocalMemory&& o) noexcept {
  if (this != &o) {
    release();
    ptr_ = std::exchange(o.ptr_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
    bound_ = std::exchange(o.bound_, false);
    why_ = std::move(o.why_);
  }
  return *this;
}

void NodeLocalMemory::release() {
  if (ptr_) munmap(ptr_, bytes_);
  ptr_ = nullptr;
  bytes_ = 0;
}

}  // namespace ys
