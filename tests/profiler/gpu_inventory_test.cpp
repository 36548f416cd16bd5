// list_gpus on a machine without the NVIDIA driver (a library that does not exist) and on a
// stand-in NVML with two GPUs (fake_nvml_inventory.cpp), with a sysfs tree of our own for the
// NUMA nodes; and the lines yolo checks prints from each.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "profiler/gpu_inventory.h"

namespace ys {
namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TEST(GpuInventory, NoDriverSaysSoAndListsNothing) {
  const GpuInventory inv = list_gpus("libnvidia-ml-does-not-exist.so.1");
  EXPECT_FALSE(inv.available);
  EXPECT_TRUE(inv.gpus.empty());
  const std::vector<std::string> lines = describe_gpu_inventory(inv);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("GPUs: none: no NVIDIA driver", 0), 0u) << lines[0];
}

TEST(GpuInventory, ListsEveryGpuWithMemoryClocksLinkAndNumaNode) {
  const auto root = std::filesystem::temp_directory_path() / "ys_gpu_inventory_pci";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "0000:18:00.0");
  std::filesystem::create_directories(root / "0000:9a:00.0");
  std::ofstream(root / "0000:18:00.0" / "numa_node") << "0\n";
  std::ofstream(root / "0000:9a:00.0" / "numa_node") << "1\n";
  const GpuInventory inv = list_gpus(YS_FAKE_NVML_INVENTORY, root.string());
  std::filesystem::remove_all(root);
  ASSERT_TRUE(inv.available) << inv.why;
  ASSERT_EQ(inv.gpus.size(), 2u);
  EXPECT_EQ(inv.gpus[1].bus_id, "0000:9a:00.0");
  EXPECT_EQ(inv.gpus[1].numa_node, 1);
  EXPECT_EQ(inv.gpus[1].sm_clock_mhz, 1410);
  ASSERT_EQ(inv.links.size(), 1u);
  EXPECT_EQ(inv.links[0].path, "one PCIe switch");
  const std::string text = joined(describe_gpu_inventory(inv));
  EXPECT_NE(text.find("GPUs: 2 (driver 550.54.15)"), std::string::npos) << text;
  EXPECT_NE(text.find("GPU 1: NVIDIA H200, memory 150.0 GiB (3.0 GiB used), SM clock 1410/1980 "
                      "MHz, memory clock 3201 MHz, PCIe gen 5 x16 (max gen 5 x16), bus "
                      "0000:9a:00.0, NUMA node 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("GPU 0 <-> GPU 1: one PCIe switch"), std::string::npos) << text;
}

TEST(GpuInventory, TopologyLevelsInWords) {
  EXPECT_EQ(topology_path_name(0), "the same board");
  EXPECT_EQ(topology_path_name(50), "across NUMA nodes (SMP interconnect)");
  EXPECT_EQ(topology_path_name(7), "topology level 7");
}

}  // namespace
}  // namespace ys
