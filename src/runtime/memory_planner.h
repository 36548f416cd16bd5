// Static memory planning: every non-constant tensor gets an offset in one arena; tensors whose
// lifetimes (first producer to last consumer, in execution order) do not overlap share bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/graph.h"

namespace ys {

struct TensorAllocation {
  int value = -1;     // index into Graph::values
  size_t offset = 0;  // bytes from the arena's start
  size_t bytes = 0;
  int first_step = 0;  // step that produces it (-1: graph input)
  int last_step = 0;   // last step that reads it (steps.size(): graph input or output)
};

struct MemoryPlan {
  std::vector<TensorAllocation> allocations;
  std::vector<int> slot_of_value;  // per value: index into allocations, -1 for constants
  size_t arena_bytes = 0;          // peak: the arena's size
  size_t naive_bytes = 0;          // what one buffer per tensor would take
  // Bytes of activations alive after each step (for memory-by-layer reports).
  std::vector<size_t> live_bytes_after_step;
};

MemoryPlan plan_memory(const Graph& graph, size_t alignment = 64);

}  // namespace ys
