// The executor: plans memory for a prepared graph, asks a backend for one kernel per node, and
// runs them in order. An observer (the profiler) can hang off every op; with none attached the
// cost is one predictable branch per op.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "model/graph.h"
#include "runtime/backend.h"
#include "runtime/memory_planner.h"

namespace ys {

class OpObserver {
 public:
  virtual ~OpObserver() = default;
  virtual void on_op_begin(size_t step) = 0;
  virtual void on_op_end(size_t step) = 0;
};

struct ExecutionStep {
  int node = -1;  // index into Graph::nodes
  std::unique_ptr<Kernel> kernel;
};

class Executor {
 public:
  // Takes a graph already prepared for a fixed input shape (see model/prepare.h).
  Executor(Graph graph, std::shared_ptr<Backend> backend);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  const Graph& graph() const { return graph_; }
  const MemoryPlan& memory_plan() const { return memory_; }
  const std::vector<ExecutionStep>& steps() const { return steps_; }
  Backend& backend() const { return *backend_; }

  // Views of the graph's inputs and outputs in the backend's memory: a CPU caller writes and
  // reads them in place; for a GPU backend use set_input / read_output.
  Tensor input(size_t i) const;
  Tensor output(size_t i) const;
  void set_input(size_t i, const Tensor& host);  // checks dtype and shape, then copies
  Tensor read_output(size_t i) const;            // a host copy

  void set_observer(OpObserver* observer) { observer_ = observer; }
  void run();

  // "'x' from Conv_3 [1, 64, 320, 320] 25 MiB, ..." for the `count` largest planned tensors, so an
  // out-of-memory message names what takes the space.
  std::string largest_tensors(size_t count) const;

 private:
  Tensor arena_view(int value) const;

  Graph graph_;
  std::shared_ptr<Backend> backend_;
  MemoryPlan memory_;
  void* arena_ = nullptr;
  std::vector<ExecutionStep> steps_;
  OpObserver* observer_ = nullptr;
};

}  // namespace ys
