// Turns a loaded graph into one the runtime can plan: fixes dynamic input dimensions, validates
// every node against the op registry, infers all shapes, folds constant sub-graphs (the Shape ->
// Gather -> Concat chains of unsimplified exports), fuses activations into convolutions, drops
// dead nodes, and maps YOLO nodes to their module and stage.
#pragma once

#include "model/graph.h"

namespace ys {

struct PrepareOptions {
  // Shape for the first graph input; empty keeps the model's static shape, and a dynamic model
  // then gets batch 1 at 640x640.
  Shape input_shape;
  bool fuse = true;
  // The detector feeds the first graph input (the image) and nothing else, so by default a model
  // whose outputs depend on another input is refused here, at load time, instead of running on
  // whatever memory holds. Callers that set every input (the ONNX node tests) say so.
  bool feeds_all_inputs = false;
};

void prepare_graph(Graph& g, const PrepareOptions& options = {});

// Steps of prepare_graph, exposed for tests and for graphs built in code.
void infer_and_fold(Graph& g);

}  // namespace ys
