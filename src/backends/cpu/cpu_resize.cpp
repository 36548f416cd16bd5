// Nearest-neighbour Resize, our own kernel: the source index of every output row and column is
// computed once at creation with ONNX's coordinate and rounding rules, so any integer or
// fractional scale and every coordinate_transformation_mode match the reference exactly, which
// oneDNN's resampling (half-pixel rounding only) does not promise.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/cpu/cpu_ops.h"
#include "model/op_schema.h"

namespace ys::cpu {
namespace {

bool resize_supported(const Graph& g, const Node& n) {
  const Value& x = g.input_value(n, 0);
  const Value& y = g.output_value(n, 0);
  return is_4d_activation(x) && is_4d_activation(y) &&
         attr_string(n, "mode", "nearest") == "nearest" && x.shape[0] == y.shape[0] &&
         x.shape[1] == y.shape[1];
}

}  // namespace

LayoutRule resize_layout_rule(const Graph& g, const Node& n) {
  return resize_supported(g, n) ? LayoutRule::kUniform : LayoutRule::kPlainOnly;
}

std::unique_ptr<Kernel> make_resize_kernel(const KernelRequest& r) {
  if (!resize_supported(r.graph, r.node)) return nullptr;
  const Value& x = r.input_value(0);
  const Value& y = r.output_value(0);
  const std::vector<float> scales = resize_scales(r.graph, r.node);
  std::vector<int64_t> rows, cols;
  for (int64_t o = 0; o < y.shape[2]; ++o)
    rows.push_back(resize_nearest_source(r.node, o, scales[2], x.shape[2], y.shape[2]));
  for (int64_t o = 0; o < y.shape[3]; ++o)
    cols.push_back(resize_nearest_source(r.node, o, scales[3], x.shape[3], y.shape[3]));
  const bool nhwc = x.layout == Layout::kNHWC;
  // Image rows to produce: N*OH for NHWC (each a run of pixels), N*C*OH for plain.
  const int64_t batch = nhwc ? x.shape[0] : x.shape[0] * x.shape[1];
  const int64_t channels = nhwc ? x.shape[1] : 1;
  const int64_t ih = x.shape[2], iw = x.shape[3], oh = y.shape[2], ow = y.shape[3];
  const float* src = r.inputs[0].ptr<float>();
  float* dst = r.outputs[0].ptr<float>();
  const int threads = r.context->threads;
  return make_lambda_kernel(
      "cpu:resize_nearest", [=, rows = std::move(rows), cols = std::move(cols)] {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t t = 0; t < batch * oh; ++t) {
          const int64_t b = t / oh, h = t % oh;
          const float* in_row = src + (b * ih + rows[static_cast<size_t>(h)]) * iw * channels;
          float* out_row = dst + t * ow * channels;
          if (channels == 1) {
            for (int64_t w = 0; w < ow; ++w) out_row[w] = in_row[cols[static_cast<size_t>(w)]];
          } else {
            for (int64_t w = 0; w < ow; ++w) {
              std::memcpy(out_row + w * channels, in_row + cols[static_cast<size_t>(w)] * channels,
                          static_cast<size_t>(channels) * sizeof(float));
            }
          }
        }
      });
}

}  // namespace ys::cpu
