#include <gtest/gtest.h>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"
#include "model/prepare.h"
#include "runtime/executor.h"

namespace ys {
namespace {

Graph relu_add_graph() {
  Graph g;
  g.opset = 17;
  auto value = [&](const std::string& name) {
    Value v;
    v.name = name;
    v.shape = {2, 3};
    return g.add_value(v);
  };
  int x = value("x"), a = value("a"), y = value("y");
  Value bias;
  bias.name = "bias";
  bias.data = Tensor(DType::kFloat32, {3});
  for (int i = 0; i < 3; ++i) bias.data.ptr<float>()[i] = static_cast<float>(i);
  int b = g.add_value(bias);
  g.inputs = {x};
  g.outputs = {y};
  auto node = [&](const char* op, std::vector<int> in, int out) {
    Node n;
    n.name = op;
    n.op = op;
    n.inputs = std::move(in);
    n.outputs = {out};
    g.nodes.push_back(std::move(n));
  };
  node("Relu", {x}, a);
  node("Add", {a, b}, y);
  infer_and_fold(g);
  return g;
}

struct CountingObserver : OpObserver {
  std::vector<std::pair<char, size_t>> events;
  void on_op_begin(size_t step) override { events.push_back({'b', step}); }
  void on_op_end(size_t step) override { events.push_back({'e', step}); }
};

TEST(Executor, RunsOpsInOrderAndCallsObserverAroundEach) {
  Executor ex(relu_add_graph(), make_cpu_backend());
  Tensor in(DType::kFloat32, {2, 3});
  const float x[6] = {-1, 2, -3, 4, -5, 6};
  for (int i = 0; i < 6; ++i) in.ptr<float>()[i] = x[i];
  ex.set_input(0, in);
  CountingObserver obs;
  ex.set_observer(&obs);
  ex.run();
  Tensor out = ex.read_output(0);
  const float expected[6] = {0, 3, 2, 4, 1, 8};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out.ptr<float>()[i], expected[i]) << i;
  EXPECT_EQ(obs.events,
            (std::vector<std::pair<char, size_t>>{{'b', 0}, {'e', 0}, {'b', 1}, {'e', 1}}));
}

TEST(Executor, InputOfWrongShapeOrTypeIsRefused) {
  Executor ex(relu_add_graph(), make_cpu_backend());
  EXPECT_THROW(ex.set_input(0, Tensor(DType::kFloat32, {3, 2})), Error);
  EXPECT_THROW(ex.set_input(0, Tensor(DType::kFloat32, {2, 3, 1})), Error);
  EXPECT_THROW(ex.set_input(0, Tensor(DType::kInt64, {2, 3})), Error);
  EXPECT_THROW(ex.set_input(1, Tensor(DType::kFloat32, {2, 3})), Error);
}

// A backend whose device is full: the executor must turn its out-of-memory error into one that
// also names the tensors taking the space.
class FullBackend final : public Backend {
 public:
  std::string name() const override { return "full"; }
  DeviceKind device() const override { return DeviceKind::kCpu; }
  bool supports(const Graph&, const Node&) const override { return true; }
  std::unique_ptr<Kernel> create_kernel(const Graph&, const Node&, const std::vector<Tensor>&,
                                        const std::vector<Tensor>&) override {
    return nullptr;
  }
  void* allocate(size_t bytes) override {
    fail(ErrorKind::kOutOfMemory, "asked for ", bytes, " bytes, 0 free");
  }
  void deallocate(void*) override {}
  void copy_to_device(void*, const void*, size_t) override {}
  void copy_to_host(void*, const void*, size_t) override {}
};

TEST(Executor, OutOfMemoryNamesTheLargestTensors) {
  try {
    Executor ex(relu_add_graph(), std::make_shared<FullBackend>());
    FAIL() << "the executor was built on a full device";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutOfMemory);
    const std::string what = e.what();
    EXPECT_NE(what.find("asked for"), std::string::npos) << what;
    EXPECT_NE(what.find("largest tensors: '"), std::string::npos) << what;
    EXPECT_NE(what.find("[2, 3]"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace ys
