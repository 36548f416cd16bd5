// yolo_bench_cpu: latency of one model on the CPU backend, and where the time goes.
//
//   yolo_bench_cpu [model=PATH|BUILTIN.yaml] [threads=N] [warmup=N] [iterations=N] [top=N]
//
// Latency (median, p90, mean, min) comes from runs without an observer; a second series of the
// same length runs with a per-op timer and gives the breakdown by op type, by implementation and
// the slowest nodes, as milliseconds per run (host steady clock, mean over that series).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#ifdef YS_HAVE_ONEDNN
#include <omp.h>
#endif

#include "backends/cpu/cpu_backend.h"
#include "core/clock.h"
#include "core/error.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"
#include "runtime/executor.h"
#if YS_HAVE_BUILTIN_MODELS
#include "model/builtin_models.h"
#endif

namespace {

constexpr const char* kDefaultModel = YS_DEFAULT_MODEL;

struct Args {
  std::string model = kDefaultModel;
  int threads = 0;
  int warmup = 5;
  int iterations = 30;
  int top = 10;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos)
      ys::fail(ys::ErrorKind::kInvalidArgument, "expected key=value, got '", arg, "'");
    const std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    if (key == "model") {
      a.model = value;
      continue;
    }
    char* end = nullptr;
    const long n = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || n < 0) {
      ys::fail(ys::ErrorKind::kInvalidArgument, key, "=", value,
               ": expected a non-negative integer");
    }
    if (key == "threads")
      a.threads = static_cast<int>(n);
    else if (key == "warmup")
      a.warmup = static_cast<int>(n);
    else if (key == "iterations")
      a.iterations = std::max(1, static_cast<int>(n));
    else if (key == "top")
      a.top = static_cast<int>(n);
    else
      ys::fail(ys::ErrorKind::kInvalidArgument, "unknown argument '", key,
               "' (model, threads, warmup, iterations, top)");
  }
  return a;
}

ys::Graph load_model(std::string& name) {
  if (std::filesystem::exists(name)) return ys::load_onnx_file(name);
#if YS_HAVE_BUILTIN_MODELS
  if (name == kDefaultModel) name = "yolov8n.yaml";
  if (ys::is_builtin_model(name)) return ys::build_builtin_model(name);
#endif
  ys::fail(ys::ErrorKind::kNotFound, "model '", name, "' not found");
}

class StepTimer final : public ys::OpObserver {
 public:
  explicit StepTimer(size_t steps) : total_ns_(steps, 0) {}
  void on_op_begin(size_t) override { start_ = ys::now_ns(); }
  void on_op_end(size_t step) override { total_ns_[step] += ys::now_ns() - start_; }
  const std::vector<int64_t>& total_ns() const { return total_ns_; }

 private:
  std::vector<int64_t> total_ns_;
  int64_t start_ = 0;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i =
      std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

struct Row {
  int count = 0;
  double ms = 0;
};

void print_table(const char* title, const std::map<std::string, Row>& rows, double run_ms) {
  std::vector<std::pair<std::string, Row>> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  std::printf("\n%-40s %6s %10s %7s\n", title, "ops", "ms/run", "share");
  for (const auto& [key, row] : sorted) {
    std::printf("%-40s %6d %10.3f %6.1f%%\n", key.c_str(), row.count, row.ms,
                100.0 * row.ms / run_ms);
  }
}

std::string op_label(const ys::Node& n) {
  if (n.activation == ys::Activation::kSiLU) return n.op + "+SiLU";
  if (n.activation == ys::Activation::kSigmoid) return n.op + "+Sigmoid";
  return n.op;
}

int run(int argc, char** argv) {
  Args args = parse(argc, argv);
  ys::Graph graph = load_model(args.model);
  ys::prepare_graph(graph);
  ys::Executor ex(std::move(graph), ys::make_cpu_backend({.threads = args.threads}));
  const ys::Graph& g = ex.graph();

  ys::Tensor in = ex.input(0);
  uint32_t state = 12345;
  for (int64_t i = 0; i < in.numel(); ++i) {
    state = state * 1664525u + 1013904223u;
    in.ptr<float>()[i] = static_cast<float>(state >> 8) / static_cast<float>(1u << 24);
  }

  for (int i = 0; i < args.warmup; ++i) ex.run();
  std::vector<double> ms;
  for (int i = 0; i < args.iterations; ++i) {
    const int64_t t0 = ys::now_ns();
    ex.run();
    ms.push_back(static_cast<double>(ys::now_ns() - t0) * 1e-6);
  }
  double mean = 0;
  for (double m : ms) mean += m / static_cast<double>(ms.size());

  StepTimer timer(ex.steps().size());
  ex.set_observer(&timer);
  for (int i = 0; i < args.iterations; ++i) ex.run();
  ex.set_observer(nullptr);

  const ys::Shape& shape = in.shape();
#ifdef YS_HAVE_ONEDNN
  // The backend set this thread's OpenMP count to the one it chose (threads=0 follows the cores
  // other processes leave free).
  const int threads_in_use = omp_get_max_threads();
#else
  const int threads_in_use = 1;
#endif
  std::printf("model %s, input %s, %zu ops, threads=%d (in use: %d), oneDNN %s\n",
              args.model.c_str(), ys::shape_str(shape).c_str(), ex.steps().size(), args.threads,
              threads_in_use, ys::cpu_backend_has_onednn() ? "on" : "off");
  std::printf(
      "latency over %d runs after %d warm-up: median %.2f ms, p90 %.2f ms, mean %.2f ms, min %.2f "
      "ms\n",
      args.iterations, args.warmup, percentile(ms, 0.5), percentile(ms, 0.9), mean,
      percentile(ms, 0.0));

  std::map<std::string, Row> by_op, by_impl;
  std::vector<std::pair<double, size_t>> per_step;
  double profiled_ms = 0;
  for (size_t k = 0; k < ex.steps().size(); ++k) {
    const ys::ExecutionStep& s = ex.steps()[k];
    const ys::Node& n = g.nodes[static_cast<size_t>(s.node)];
    const double step_ms = static_cast<double>(timer.total_ns()[k]) * 1e-6 / args.iterations;
    profiled_ms += step_ms;
    for (auto* table : {&by_op, &by_impl}) {
      Row& row = (*table)[table == &by_op ? op_label(n) : n.op + " " + s.kernel->implementation()];
      row.count += 1;
      row.ms += step_ms;
    }
    per_step.push_back({step_ms, k});
  }
  std::printf("per-op timing: %.2f ms per run summed over ops (with the observer on)\n",
              profiled_ms);
  print_table("op type", by_op, profiled_ms);
  print_table("op and implementation", by_impl, profiled_ms);
  std::sort(per_step.rbegin(), per_step.rend());
  std::printf("\n%-48s %-28s %10s\n", "slowest nodes", "output shape", "ms/run");
  for (size_t i = 0; i < per_step.size() && i < static_cast<size_t>(args.top); ++i) {
    const ys::Node& n = g.nodes[static_cast<size_t>(ex.steps()[per_step[i].second].node)];
    const ys::Value& out = g.values[static_cast<size_t>(n.outputs[0])];
    std::printf(
        "%-48s %-28s %10.3f\n", n.name.substr(0, 48).c_str(),
        (ys::shape_str(out.shape) + (out.layout == ys::Layout::kNHWC ? " nhwc" : "")).c_str(),
        per_step[i].first);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "yolo_bench_cpu: %s\n", e.what());
    return 1;
  }
}
