#include <gtest/gtest.h>

#include "model/prepare.h"
#include "runtime/memory_planner.h"

namespace ys {
namespace {

// x -> a -> b -> c, then y = c + a: a skip connection keeps a alive across b and c.
Graph chain_graph() {
  Graph g;
  g.opset = 17;
  auto value = [&](const std::string& name) {
    Value v;
    v.name = name;
    v.shape = {1, 4, 16, 16};
    return g.add_value(v);
  };
  int x = value("x"), a = value("a"), b = value("b"), c = value("c"), y = value("y");
  g.inputs = {x};
  g.outputs = {y};
  auto node = [&](const std::string& op, std::vector<int> in, int out) {
    Node n;
    n.name = op + std::to_string(g.nodes.size());
    n.op = op;
    n.inputs = std::move(in);
    n.outputs = {out};
    g.nodes.push_back(n);
  };
  node("Relu", {x}, a);
  node("Relu", {a}, b);
  node("Relu", {b}, c);
  node("Add", {c, a}, y);
  infer_and_fold(g);
  return g;
}

bool overlaps(const TensorAllocation& p, const TensorAllocation& q) {
  bool time = p.first_step <= q.last_step && q.first_step <= p.last_step;
  bool space = p.offset < q.offset + q.bytes && q.offset < p.offset + p.bytes;
  return time && space;
}

TEST(MemoryPlanner, NoTwoLiveTensorsShareBytes) {
  Graph g = chain_graph();
  MemoryPlan plan = plan_memory(g);
  ASSERT_EQ(plan.allocations.size(), 5u);
  for (size_t i = 0; i < plan.allocations.size(); ++i) {
    for (size_t j = i + 1; j < plan.allocations.size(); ++j) {
      EXPECT_FALSE(overlaps(plan.allocations[i], plan.allocations[j])) << i << " vs " << j;
    }
  }
}

TEST(MemoryPlanner, ReusesMemoryOfDeadTensors) {
  Graph g = chain_graph();
  MemoryPlan plan = plan_memory(g);
  const size_t one = 4 * 16 * 16 * 4;
  EXPECT_EQ(plan.naive_bytes, 5 * one);
  // The input x lives throughout; b dies after step 2, so c and then y reuse its bytes: four
  // tensors are live at most (x, a, b, c during step 2).
  EXPECT_EQ(plan.arena_bytes, 4 * one);
  EXPECT_EQ(plan.live_bytes_after_step.size(), 4u);
  // Live after each step: {x, a}, {x, a, b}, {x, a, c}, {x, y}.
  EXPECT_EQ(plan.live_bytes_after_step, (std::vector<size_t>{2 * one, 3 * one, 3 * one, 2 * one}));
}

}  // namespace
}  // namespace ys
