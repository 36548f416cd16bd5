#include "runtime/executor.h"

#include <algorithm>

#include "core/error.h"
#include "core/startup_timeline.h"

namespace ys {

Executor::Executor(Graph graph, std::shared_ptr<Backend> backend)
    : graph_(std::move(graph)), backend_(std::move(backend)) {
  {
    const StartupScope phase("backend_prepare");
    backend_->prepare(graph_);
  }
  {
    const StartupScope phase("arena");
    memory_ = plan_memory(graph_);
    try {
      arena_ = backend_->allocate(memory_.arena_bytes);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kOutOfMemory) throw;
      fail(ErrorKind::kOutOfMemory, e.what(), "; largest tensors: ", largest_tensors(3));
    }
  }
  try {
    {
      const StartupScope phase("kernels");
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
    }
    // The start-up cache's file is written here after a miss.
    const StartupScope phase("kernels_finish");
    backend_->finish_kernels();
  } catch (...) {
    steps_.clear();
    backend_->deallocate(arena_);
    throw;
  }
}

std::string Executor::largest_tensors(size_t count) const {
  std::vector<const TensorAllocation*> by_size;
  for (const TensorAllocation& a : memory_.allocations) by_size.push_back(&a);
  std::sort(
      by_size.begin(), by_size.end(),
      [](const TensorAllocation* x, const TensorAllocation* y) { return x->bytes > y->bytes; });
  std::string out;
  for (size_t i = 0; i < by_size.size() && i < count; ++i) {
    const TensorAllocation& a = *by_size[i];
    const Value& v = graph_.values[static_cast<size_t>(a.value)];
    const std::string producer =
        v.producer >= 0 ? graph_.nodes[static_cast<size_t>(v.producer)].name : "graph input";
    out += cat(i ? ", " : "", "'", v.name, "' from ", producer, " ", shape_str(v.shape), " ",
               (a.bytes + (1 << 20) - 1) >> 20, " MiB");
  }
  return out;
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
