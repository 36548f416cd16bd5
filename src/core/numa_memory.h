// Host memory on a chosen NUMA node, for the pinned staging buffers of a GPU on a host with
// several nodes (issue 21): a GPU's copies from memory on the other socket cross the socket link
// as well as PCIe. The node of a PCI device is sysfs' numa_node; NodeLocalMemory maps anonymous
// pages, gives them the node as their preferred one with mbind(2) and touches them so that they
// are placed there before anyone pins them (cudaHostRegister pins pages where they already are).
// Raw system calls from the kernel's <linux/mempolicy.h>, not libnuma: two calls do not justify a
// library the runtime image would also have to ship.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace ys {

// A PCI address in sysfs' form: "00000000:1B:00.0" (NVML, 8-digit domain) and "0000:1b:00.0"
// (CUDA) both give "0000:1b:00.0".
std::string sysfs_pci_address(const std::string& bus_id);

// The NUMA node sysfs gives for a PCI device; none where the file is missing, unreadable or says
// -1 (a host of one node, or firmware that does not tell).
std::optional<int> pci_numa_node(const std::string& bus_id,
                                 const std::string& pci_root = "/sys/bus/pci/devices");

// How many NUMA nodes are online ("0", "0-1", "0,2-3" in <node_root>/online); 1 where it cannot
// be read.
int online_numa_nodes(const std::string& node_root = "/sys/devices/system/node");

// The node the page holding `p` is on (get_mempolicy(2)); none where the kernel does not say.
std::optional<int> numa_node_of_page(const void* p);

// `bytes` of zeroed, page-aligned anonymous memory placed on `node` where it can be (node < 0:
// no node asked; MPOL_PREFERRED, so a node short of memory gives pages from another). Binding that
// fails (no such node, a kernel without NUMA) is no error: the memory is the kernel's default
// placement and why() says what happened.
class NodeLocalMemory {
 public:
  NodeLocalMemory() = default;
  // Throws Error(kOutOfMemory) naming `what` when the pages cannot be mapped.
  NodeLocalMemory(size_t bytes, int node, const char* what);
  ~NodeLocalMemory();
  NodeLocalMemory(NodeLocalMemory&& o) noexcept;
  NodeLocalMemory& operator=(NodeLocalMemory&& o) noexcept;
  NodeLocalMemory(const NodeLocalMemory&) = delete;
  NodeLocalMemory& operator=(const NodeLocalMemory&) = delete;

  void* get() const { return ptr_; }
  size_t size() const { return bytes_; }
  bool bound() const { return bound_; }            // mbind took the node asked for
  const std::string& why() const { return why_; }  // why not, when a node was asked for

 private:
  void release();

  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  bool bound_ = false;
  std::string why_;
};

}  // namespace ys
