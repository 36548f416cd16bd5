#include "runtime/executor.h"

#include "core/error.h"

namespace ys {

Executor::Executor(Graph graph, std::shared_ptr<Backend> backend)
    : graph_(std::move(graph)), backend_(std::move(backend)) {
  backend_->prepare(graph_);
  memory_ = plan_memory(graph_);
  arena_ = backend_->allocate(memory_.arena_bytes);
  try {
    steps_.reserve(graph_.nodes.size());
    for (size_t k = 0; k < graph_.nodes.size(); ++k) {
      const Node& n = graph_.nodes[k];
      std::vector<Tensor> ins, outs;
      for (int v : n.inputs) {
        if (v < 0) {
          ins.emplace_back();
        } else if (graph_.values[static_cast<size_t>(v)].is_constant()) {
          ins.push_back(graph_.values[static_cast<size_t>(v)].data);
        } else {
          ins.push_back(arena_view(v));
        }
      }
      for (int v : n.outputs) outs.push_back(v < 0 ? Tensor() : arena_view(v));
      steps_.push_back({static_cast<int>(k), backend_->create_kernel(graph_, n, ins, outs)});
    }
  } catch (...) {
    steps_.clear();
    backend_->deallocate(arena_);
    throw;
  }
}

Executor::~Executor() {
  steps_.clear();
  backend_->deallocate(arena_);
}

Tensor Executor::arena_view(int value) const {
  const Value& v = graph_.values[static_cast<size_t>(value)];
  if (v.is_constant()) return v.data;
  int slot = memory_.slot_of_value[static_cast<size_t>(value)];
  YS_CHECK(slot >= 0, "value '", v.name, "' has no memory");
  auto* base = static_cast<std::byte*>(arena_);
  return Tensor::view(v.dtype, v.shape,
                      base + memory_.allocations[static_cast<size_t>(slot)].offset);
}

Tensor Executor::input(size_t i) const {
  YS_CHECK(i < graph_.inputs.size());
  return arena_view(graph_.inputs[i]);
}

Tensor Executor::output(size_t i) const {
  YS_CHECK(i < graph_.outputs.size());
  return arena_view(graph_.outputs[i]);
}

void Executor::set_input(size_t i, const Tensor& host) {
  if (i >= graph_.inputs.size()) fail(ErrorKind::kInvalidArgument, "the model has no input #", i);
  Tensor dst = input(i);
  const Value& v = graph_.values[static_cast<size_t>(graph_.inputs[i])];
  if (host.dtype() != dst.dtype() || host.shape() != dst.shape()) {
    fail(ErrorKind::kInvalidArgument, "input '", v.name, "' expects ", dtype_name(dst.dtype()), " ",
         shape_str(dst.shape()), ", got ", dtype_name(host.dtype()), " ", shape_str(host.shape()));
  }
  backend_->copy_to_device(dst.data(), host.data(), host.nbytes());
}

Tensor Executor::read_output(size_t i) const {
  Tensor src = output(i);
  Tensor host(src.dtype(), src.shape());
  backend_->synchronize();
  backend_->copy_to_host(host.data(), src.data(), src.nbytes());
  return host;
}

void Executor::run() {
  OpObserver* obs = observer_;
  if (!obs) {
    for (auto& s : steps_) s.kernel->run();
    return;
  }
  for (size_t k = 0; k < steps_.size(); ++k) {
    obs->on_op_begin(k);
    steps_[k].kernel->run();
    obs->on_op_end(k);
  }
}

}  // namespace ys
