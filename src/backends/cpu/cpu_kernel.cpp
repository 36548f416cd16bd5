#include "backends/cpu/cpu_kernel.h"

#include "core/error.h"

namespace ys::cpu {

using dnnl::memory;

Shape physical_shape(const Value& v) {
  if (v.layout == Layout::kNHWC) return {v.shape[0], v.shape[2], v.shape[3], v.shape[1]};
  return v.shape;
}

int64_t physical_axis(const Value& v, int64_t axis) {
  if (v.layout != Layout::kNHWC) return axis;
  static const int64_t kNhwcPosition[4] = {0, 3, 1, 2};
  return kNhwcPosition[axis];
}

bool is_float_activation(const Value& v) {
  return v.dtype == DType::kFloat32 && !v.is_constant();
}

bool is_4d_activation(const Value& v) {
  return is_float_activation(v) && v.shape.size() == 4;
}

memory::dims to_dims(const std::vector<int64_t>& v) {
  return memory::dims(v.begin(), v.end());
}

memory::desc plain_md(const Shape& shape) {
  memory::dims dims = shape.empty() ? memory::dims{1} : to_dims(shape);
  memory::dims strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return memory::desc(dims, memory::data_type::f32, strides);
}

memory::desc value_md(const Value& v) {
  if (v.layout == Layout::kNHWC) {
    return memory::desc(to_dims(v.shape), memory::data_type::f32, memory::format_tag::nhwc);
  }
  return plain_md(v.shape);
}

memory PrimitiveKernel::bind(const memory::desc& md, const Tensor& t) {
  memories_.emplace_back(md, context_->engine, t.data());
  return memories_.back();
}

memory PrimitiveKernel::own(const memory::desc& md) {
  memories_.emplace_back(md, context_->engine);
  return memories_.back();
}

void PrimitiveKernel::add(const dnnl::primitive_desc_base& pd, const dnnl::primitive& p,
                          std::vector<std::pair<int, memory>> args) {
  Step s;
  s.primitive = p;
  const memory::desc scratch_md = pd.scratchpad_desc();
  if (scratch_md.get_size() > 0) {
    context_->scratch.reserve(scratch_md.get_size());
    s.bound = context_->scratch.data();
    s.scratch = memory(scratch_md, context_->engine, s.bound);
    args.emplace_back(DNNL_ARG_SCRATCHPAD, s.scratch);
  }
  for (auto& [arg, mem] : args) {
    memories_.push_back(mem);
    s.args.push_back({arg, mem.get()});
  }
  if (!implementation_.empty()) implementation_ += "+";
  implementation_ += implementation_label(pd);
  steps_.push_back(std::move(s));
}

void PrimitiveKernel::run() {
  context_->apply_threads();
  for (Step& s : steps_) {
    if (s.scratch && s.bound != context_->scratch.data()) {
      s.bound = context_->scratch.data();
      s.scratch.set_data_handle(s.bound);
    }
    dnnl_status_t st = dnnl_primitive_execute(s.primitive.get(), context_->stream.get(),
                                              static_cast<int>(s.args.size()), s.args.data());
    if (st != dnnl_success) fail(ErrorKind::kInternal, "oneDNN primitive failed with status ", st);
  }
}

dnnl::primitive_attr primitive_attr(const dnnl::post_ops& post_ops) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(post_ops);
  return attr;
}

std::string implementation_label(const dnnl::primitive_desc_base& pd) {
  return std::string("onednn:") + pd.impl_info_str();
}

}  // namespace ys::cpu
