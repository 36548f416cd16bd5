// What a model will need in memory at a given input size and batch, computed from its prepared
// graph and the memory planner without allocating or running anything: the arena's peak, the
// weights, the input, and the layers whose single outputs are largest. `yolo info` prints it so a
// user can ask "will imgsz=3840 batch=8 fit?" before an out-of-memory answers instead.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "model/graph.h"

namespace ys {

// One layer's largest output tensor.
struct LayerOutputSize {
  std::string layer;  // "Upsample #10" for a YOLO module, else the node ("Conv 'name'")
  std::string value;  // the tensor's name
  Shape shape;
  size_t bytes = 0;
};

struct MemoryForecast {
  Shape input_shape;        // the first graph input
  size_t input_bytes = 0;   // all graph inputs
  size_t output_bytes = 0;  // all graph outputs
  size_t arena_bytes = 0;   // the planner's peak: activations, inputs and outputs, reused
  size_t naive_bytes = 0;   // one buffer per tensor, no reuse
  // Weights and folded constants; the anchor grid of a YOLO head grows with the input.
  size_t constant_bytes = 0;
  std::vector<LayerOutputSize> largest;  // by bytes, largest first, one entry per layer
};

// `top` caps `largest`. The graph must be prepared (static shapes).
MemoryForecast forecast_memory(const Graph& graph, size_t top = 5);

// "3.56 GiB", "812.0 MiB", "4.0 KiB", "12 B": binary units, as on the console and in the report.
std::string format_binary_bytes(size_t bytes);

// The forecast as console lines, each starting with `indent`, e.g.
// "at 3840x3840, batch 8: the arena's peak is 9.41 GiB (...)" and "Upsample #10 output alone is
// 1.76 GiB [8, 256, 480, 480]".
std::string describe_forecast(const MemoryForecast& f, const std::string& indent = "  ");

}  // namespace ys
