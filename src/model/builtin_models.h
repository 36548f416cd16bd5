// Built-in YOLO architectures, built in code with deterministic SYNTHETIC weights, so the runtime
// and the profiler can be exercised without downloading a model. Each graph is the one an
// Ultralytics ONNX export of that architecture gives (BN fused into Conv, SiLU as Sigmoid + Mul,
// Ultralytics' node, tensor and initializer names, the decoded Detect head with output0
// [B, 4 + 80, anchors]), un-prepared like a freshly loaded file: run prepare_graph() before use.
// Weights come from a fixed-seed generator keyed by model and tensor name and are scaled so
// activations stay in range through the whole depth; class biases follow Ultralytics' bias_init,
// so class scores stay far below the default confidence threshold (0.25) and NMS gets nothing.
// The results mean nothing: the graph is marked (Graph::synthetic_weights, and its metadata's
// synthetic_weights=true and description saying SYNTHETIC, which an export keeps) so every
// report, and every later load of an exported file, can say so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/graph.h"

namespace ys {

// "yolov8n.yaml", "yolov8s.yaml", "yolo11n.yaml", "yolo11s.yaml".
std::vector<std::string> builtin_model_names();

// True for a built-in name, with or without ".yaml".
bool is_builtin_model(const std::string& name);

// Throws kNotFound (listing the built-ins) for an unknown name, kInvalidArgument for an image
// size that is not a positive multiple of 32 or a batch below 1.
Graph build_builtin_model(const std::string& name, int64_t imgsz = 640, int64_t batch = 1);

// True when a loaded model's metadata marks it as an export of a built-in architecture: the
// synthetic_weights key, or (files exported before it existed) the built-in's description.
bool has_synthetic_weights_mark(const Graph& g);

}  // namespace ys
