// NUMA-local host memory (issue 21): PCI addresses as sysfs writes them, a device's node and the
// online nodes read from sysfs trees of the test's own, and memory placed on node 0 (every Linux
// host has it) as the kernel reports its pages; a node that does not exist is a reason, not an
// error.
#include "core/numa_memory.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace ys {
namespace {

namespace fs = std::filesystem;

fs::path tree(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "yoloscope_numa_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(SysfsPciAddress, NvmlAndCudaFormsGiveSysfsForm) {
  EXPECT_EQ(sysfs_pci_address("00000000:1B:00.0"), "0000:1b:00.0");
  EXPECT_EQ(sysfs_pci_address("0000:1b:00.0"), "0000:1b:00.0");
  EXPECT_EQ(sysfs_pci_address("1B:00.0"), "0000:1b:00.0");
  EXPECT_EQ(sysfs_pci_address(""), "");
}

TEST(PciNumaNode, ReadsSysfsAndMinusOneIsNone) {
  const fs::path root = tree("pci");
  write(root / "0000:1b:00.0" / "numa_node", "1\n");
  write(root / "0000:3b:00.0" / "numa_node", "-1\n");
  write(root / "0000:5b:00.0" / "numa_node", "garbage\n");
  EXPECT_EQ(pci_numa_node("00000000:1B:00.0", root.string()), 1);
  EXPECT_EQ(pci_numa_node("0000:3b:00.0", root.string()), std::nullopt);
  EXPECT_EQ(pci_numa_node("0000:5b:00.0", root.string()), std::nullopt);
  EXPECT_EQ(pci_numa_node("0000:99:00.0", root.string()), std::nullopt);
}

TEST(OnlineNumaNodes, CountsRangesAndListsAndFallsBackToOne) {
  const fs::path root = tree("nodes");
  write(root / "online", "0-1\n");
  EXPECT_EQ(online_numa_nodes(root.string()), 2);
  write(root / "online", "0,2-3\n");
  EXPECT_EQ(online_numa_nodes(root.string()), 3);
  write(root / "online", "0\n");
  EXPECT_EQ(online_numa_nodes(root.string()), 1);
  write(root / "online", "x-y\n");
  EXPECT_EQ(online_numa_nodes(root.string()), 1);
  EXPECT_EQ(online_numa_nodes((root / "missing").string()), 1);
  EXPECT_GE(online_numa_nodes(), 1);  // this machine's
}

TEST(NodeLocalMemory, PlacesZeroedPagesOnNodeZero) {
  NodeLocalMemory m(size_t{4} << 20, 0, "a test buffer");
  ASSERT_NE(m.get(), nullptr);
  EXPECT_EQ(m.size(), size_t{4} << 20);
  if (!m.bound()) GTEST_SKIP() << "this kernel places no memory by node: " << m.why();
  const auto* bytes = static_cast<const unsigned char*>(m.get());
  for (size_t i = 0; i < m.size(); i += 4096) ASSERT_EQ(bytes[i], 0) << "byte " << i;
  const std::optional<int> node = numa_node_of_page(bytes + m.size() / 2);
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(*node, 0);
}

TEST(NodeLocalMemory, ANodeThatDoesNotExistIsAReasonAndTheMemoryStillServes) {
  NodeLocalMemory m(size_t{1} << 20, 4000, "a test buffer");
  ASSERT_NE(m.get(), nullptr);
  EXPECT_FALSE(m.bound());
  EXPECT_NE(m.why().find("NUMA node 4000"), std::string::npos) << m.why();
  static_cast<unsigned char*>(m.get())[12345] = 7;
  NodeLocalMemory moved = std::move(m);
  EXPECT_EQ(m.get(), nullptr);
  EXPECT_EQ(static_cast<unsigned char*>(moved.get())[12345], 7);
  NodeLocalMemory none(size_t{1} << 16, -1, "no node");
  EXPECT_FALSE(none.bound());
  EXPECT_TRUE(none.why().empty());
}

}  // namespace
}  // namespace ys
