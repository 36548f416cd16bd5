#include "runtime/memory_forecast.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/error.h"
#include "runtime/memory_planner.h"

namespace ys {
namespace {

size_t value_bytes(const Value& v) {
  return static_cast<size_t>(numel(v.shape)) * dtype_size(v.dtype);
}

// Named as the profile's layer table names it ("C2f #15"), so the forecast and the report agree.
std::string layer_of(const Node& n) {
  if (n.module >= 0) return cat(n.module_type.empty() ? n.op : n.module_type, " #", n.module);
  return describe(n);
}

std::string size_text(const Shape& s) {
  if (s.size() != 4) return shape_str(s);
  return cat(s[3], "x", s[2], ", batch ", s[0]);
}

}  // namespace

MemoryForecast forecast_memory(const Graph& graph, size_t top) {
  MemoryForecast f;
  if (!graph.inputs.empty())
    f.input_shape = graph.values[static_cast<size_t>(graph.inputs[0])].shape;
  for (int v : graph.inputs) f.input_bytes += value_bytes(graph.values[static_cast<size_t>(v)]);
  for (int v : graph.outputs) f.output_bytes += value_bytes(graph.values[static_cast<size_t>(v)]);
  for (const Value& v : graph.values) {
    if (v.is_constant()) f.constant_bytes += v.data.nbytes();
  }
  const MemoryPlan plan = plan_memory(graph);
  f.arena_bytes = plan.arena_bytes;
  f.naive_bytes = plan.naive_bytes;

  // The largest output of each layer; a layer of several ops is one entry, under its own name.
  std::map<std::string, LayerOutputSize> by_layer;
  for (const Node& n : graph.nodes) {
    for (int v : n.outputs) {
      if (v < 0) continue;
      const Value& val = graph.values[static_cast<size_t>(v)];
      if (val.is_constant()) continue;
      LayerOutputSize& l = by_layer[layer_of(n)];
      const size_t bytes = value_bytes(val);
      if (bytes > l.bytes || l.layer.empty()) l = {layer_of(n), val.name, val.shape, bytes};
    }
  }
  for (auto& [name, l] : by_layer) f.largest.push_back(std::move(l));
  std::stable_sort(
      f.largest.begin(), f.largest.end(),
      [](const LayerOutputSize& a, const LayerOutputSize& b) { return a.bytes > b.bytes; });
  if (f.largest.size() > top) f.largest.resize(top);
  return f;
}

std::string format_binary_bytes(size_t bytes) {
  const double b = static_cast<double>(bytes);
  char buf[32];
  if (b >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  else if (b >= 1024.0)
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%zu B", bytes);
  return buf;
}

std::string describe_forecast(const MemoryForecast& f, const std::string& indent) {
  std::string out =
      cat(indent, "at ", size_text(f.input_shape), ": the arena's peak is ",
          format_binary_bytes(f.arena_bytes), " (", format_binary_bytes(f.naive_bytes),
          " without reuse), weights and constants ", format_binary_bytes(f.constant_bytes),
          ", input ", format_binary_bytes(f.input_bytes), "\n");
  for (const LayerOutputSize& l : f.largest) {
    out += cat(indent, "  the ", l.layer, " output alone is ", format_binary_bytes(l.bytes), " ",
               shape_str(l.shape), "\n");
  }
  return out;
}

}  // namespace ys
