#include "runtime/memory_planner.h"

#include <algorithm>

#include "core/error.h"

namespace ys {

MemoryPlan plan_memory(const Graph& graph, size_t alignment) {
  MemoryPlan plan;
  const int steps = static_cast<int>(graph.nodes.size());
  plan.slot_of_value.assign(graph.values.size(), -1);

  auto add = [&](int v, int first) {
    if (plan.slot_of_value[static_cast<size_t>(v)] >= 0) return;
    const Value& val = graph.values[static_cast<size_t>(v)];
    TensorAllocation a;
    a.value = v;
    a.bytes = (static_cast<size_t>(numel(val.shape)) * dtype_size(val.dtype) + alignment - 1) /
              alignment * alignment;
    if (a.bytes == 0) a.bytes = alignment;
    a.first_step = first;
    a.last_step = first;
    plan.slot_of_value[static_cast<size_t>(v)] = static_cast<int>(plan.allocations.size());
    plan.allocations.push_back(a);
  };
  for (int v : graph.inputs) add(v, -1);
  for (int s = 0; s < steps; ++s) {
    const Node& n = graph.nodes[static_cast<size_t>(s)];
    for (int v : n.inputs) {
      if (v < 0 || graph.values[static_cast<size_t>(v)].is_constant()) continue;
      int slot = plan.slot_of_value[static_cast<size_t>(v)];
      YS_CHECK(slot >= 0, "value '", graph.values[static_cast<size_t>(v)].name,
               "' read before it is produced");
      plan.allocations[static_cast<size_t>(slot)].last_step = s;
    }
    for (int v : n.outputs) {
      if (v >= 0) add(v, s);
    }
  }
  // Graph outputs are read by the caller after the last step; graph inputs stay too, so a forward
  // can be run again (a CUDA-graph replay above all) without writing the input anew.
  for (const std::vector<int>* ends : {&graph.outputs, &graph.inputs}) {
    for (int v : *ends) {
      int slot = plan.slot_of_value[static_cast<size_t>(v)];
      if (slot >= 0) plan.allocations[static_cast<size_t>(slot)].last_step = steps;
    }
  }
  for (const auto& a : plan.allocations) plan.naive_bytes += a.bytes;

  // Greedy by size, largest first (the classic heuristic of TFLite's and ORT's planners): each
  // tensor takes the lowest offset that overlaps no placed tensor whose lifetime it shares.
  std::vector<size_t> order(plan.allocations.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return plan.allocations[a].bytes > plan.allocations[b].bytes;
  });
  std::vector<size_t> placed;
  for (size_t idx : order) {
    TensorAllocation& a = plan.allocations[idx];
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t p : placed) {
      const TensorAllocation& b = plan.allocations[p];
      bool overlap = a.first_step <= b.last_step && b.first_step <= a.last_step;
      if (overlap) busy.emplace_back(b.offset, b.offset + b.bytes);
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [lo, hi] : busy) {
      if (offset + a.bytes <= lo) break;
      offset = std::max(offset, hi);
    }
    a.offset = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + a.bytes);
    placed.push_back(idx);
  }

  plan.live_bytes_after_step.assign(static_cast<size_t>(steps), 0);
  // A tensor is live after step s when it exists by then and a later step (or the caller) reads it.
  for (const auto& a : plan.allocations) {
    for (int s = std::max(a.first_step, 0); s < std::min(a.last_step, steps); ++s) {
      plan.live_bytes_after_step[static_cast<size_t>(s)] += a.bytes;
    }
  }
  return plan;
}

}  // namespace ys
