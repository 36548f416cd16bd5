// `yolo info model=...`: what a model is made of, without running it.
#include <cstdio>
#include <iostream>
#include <map>

#include "analysis/profile_analysis.h"
#include "backends/cpu/cpu_backend.h"
#include "cli/commands.h"
#include "cli/detector_options.h"
#include "cli/load_detector.h"
#include "model/flops.h"
#include "pipeline/detector.h"
#include "runtime/memory_forecast.h"

namespace ys {

int run_info(const Config& c) {
  DetectorOptions o = detector_options(c);  // info reads the model, imgsz and batch
  o.threads = 1;
  // The graph as the CPU backend runs it, planned but never allocated, so that a size too large
  // for this machine is described rather than attempted.
  ModelDescription m;
  Graph g = load_model_graph_checked(o, m);
  make_cpu_backend({.threads = 1})->prepare(g);
  std::vector<LayerResult> layers = group_layers(g);
  int64_t flops = 0;
  for (const Node& n : g.nodes) flops += node_flops(g, n);

  std::printf("%-6s %-14s %-9s %5s %10s %9s  %s\n", "layer", "type", "stage", "ops", "params",
              "GFLOPs", "output");
  std::map<Stage, std::pair<int64_t, int64_t>> by_stage;  // flops, params
  for (const LayerResult& l : layers) {
    std::printf("%-6s %-14s %-9s %5zu %10lld %9.3f  %s\n", l.id.substr(0, 6).c_str(),
                l.type.substr(0, 14).c_str(), stage_name(l.stage), l.steps.size(),
                static_cast<long long>(l.params), static_cast<double>(l.flops) / 1e9,
                shape_str(l.output_shape).c_str());
    by_stage[l.stage].first += l.flops;
    by_stage[l.stage].second += l.params;
  }
  std::cout << "\n"
            << m.name << (m.synthetic_weights ? " (built-in architecture, SYNTHETIC weights)" : "")
            << "\n";
  std::cout << "  family: " << (m.family.empty() ? "not recognised as a YOLO export" : m.family)
            << "\n";
  std::cout << "  opset: " << g.opset << ", layers: " << layers.size()
            << ", ops after fusion: " << g.nodes.size() << "\n";
  std::printf("  parameters: %lld, GFLOPs: %.2f per forward (batch %lld)\n",
              static_cast<long long>(g.parameter_count()), static_cast<double>(flops) / 1e9,
              static_cast<long long>(m.input_shape[0]));
  for (int v : g.inputs) {
    std::cout << "  input  " << g.values[static_cast<size_t>(v)].name << " "
              << shape_str(g.values[static_cast<size_t>(v)].shape) << "\n";
  }
  for (int v : g.outputs) {
    std::cout << "  output " << g.values[static_cast<size_t>(v)].name << " "
              << shape_str(g.values[static_cast<size_t>(v)].shape) << "\n";
  }
  for (const auto& [stage, fp] : by_stage) {
    std::printf("  %-9s %6.1f%% of FLOPs, %lld parameters\n", stage_name(stage),
                flops ? 100.0 * static_cast<double>(fp.first) / static_cast<double>(flops) : 0.0,
                static_cast<long long>(fp.second));
  }
  std::cout
      << "  memory, planned without allocating (change imgsz= or batch= to size another "
         "input):\n"
      << describe_forecast(forecast_memory(g), "    ")
      << "    a GPU holds the arena, the weights and up to 64 MiB of cuDNN workspace; half=True "
         "stores activations and weights in 2 bytes instead of 4\n";
  return kExitOk;
}

}  // namespace ys
