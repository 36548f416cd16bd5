// yolo_bench_gpu: the CUDA backend's latency and throughput on one model, and its agreement with
// ONNX Runtime's reference output.
//
//   yolo_bench_gpu [model=PATH] [batch=N] [half=0|1] [graph=0|1] [fusion=0|1] [candidates=N]
//                  [warmup=N] [iterations=N] [input=U8.npy] [reference=OUTPUT.npy]
//                  [export=PATH.onnx] [trace=1] [profile=1]
//
// model= also takes a built-in architecture (yolov8n.yaml, synthetic weights), which builds at
// any batch; fusion=0 turns off cuDNN's graph-API conv+bias+SiLU fusion, candidates=N times N
// fused engines per convolution against the unfused one (CudaOptions::fusion_candidates); export=
// writes the graph as benchmarked, so the PyTorch peer can run the same one. profile=1 runs 10
// eager forwards with a synchronise around every op and prints the time per forward by op type and
// by implementation (host clock; each op also pays one launch and one synchronisation, about 10 us,
// so it is meaningful for large batches). trace=1 (eager only) synchronises after every op and
// prints each op's largest output magnitude and whether it is finite, to find the first op where
// FP16 and FP32 part.
//
// Latency: each iteration is run() then synchronize(), timed on the host steady clock (so launch
// overhead counts), median and p90 over the iterations. Throughput: the same number of runs
// queued back to back, one synchronize at the end. With reference=, prints the relative L2 error
// of output 0 and, for detection heads, how many reference detections (conf >= 0.3) were found
// with the same class at IoU >= 0.9. Prints one line of key=value pairs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "backends/cuda/cuda_backend.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/npy.h"
#include "model/builtin_models.h"
#include "model/onnx_export.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"
#include "pipeline/postprocess.h"
#include "runtime/executor.h"
#include "runtime/memory_planner.h"

namespace {

struct Args {
  std::string model = YS_DEFAULT_MODEL;
  std::string input, reference, export_path;
  bool trace = false, profile = false;
  int batch = 1, warmup = 20, iterations = 200;
  bool half = true, graph = true, fusion = true;
  int candidates = ys::CudaOptions{}.fusion_candidates;
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
    } else if (key == "input") {
      a.input = value;
    } else if (key == "reference") {
      a.reference = value;
    } else if (key == "export") {
      a.export_path = value;
    } else if (key == "trace") {
      a.trace = value == "1";
    } else if (key == "profile") {
      a.profile = value == "1";
    } else {
      char* end = nullptr;
      const long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 0)
        ys::fail(ys::ErrorKind::kInvalidArgument, key, "=", value, ": expected an integer >= 0");
      if (key == "batch")
        a.batch = std::max(1, static_cast<int>(n));
      else if (key == "half")
        a.half = n != 0;
      else if (key == "graph")
        a.graph = n != 0;
      else if (key == "fusion")
        a.fusion = n != 0;
      else if (key == "candidates")
        a.candidates = std::max(1, static_cast<int>(n));
      else if (key == "warmup")
        a.warmup = static_cast<int>(n);
      else if (key == "iterations")
        a.iterations = std::max(1, static_cast<int>(n));
      else
        ys::fail(ys::ErrorKind::kInvalidArgument, "unknown argument '", key, "'");
    }
  }
  return a;
}

// The reference image repeated over the batch, or a fixed pseudo-random image without one.
ys::Tensor make_input(const Args& a) {
  ys::Tensor in(ys::DType::kFloat32, {a.batch, 3, 640, 640});
  const int64_t per = in.numel() / a.batch;
  if (!a.input.empty()) {
    const ys::Tensor u8 = ys::load_npy(a.input);
    if (u8.numel() != per) ys::fail(ys::ErrorKind::kBadInput, a.input, ": not one 3x640x640 image");
    for (int64_t i = 0; i < in.numel(); ++i)
      in.ptr<float>()[i] = u8.ptr<uint8_t>()[i % per] / 255.f;
  } else {
    uint32_t s = 12345;
    for (int64_t i = 0; i < in.numel(); ++i) {
      s = s * 1664525u + 1013904223u;
      in.ptr<float>()[i] = static_cast<float>(s >> 8) / 16777216.f;
    }
  }
  return in;
}

void compare(const ys::Tensor& ours, const std::string& reference) {
  const ys::Tensor ref = ys::load_npy(reference);
  const int64_t n = ref.numel();
  if (ours.numel() < n) ys::fail(ys::ErrorKind::kBadInput, reference, ": larger than the output");
  double num = 0, den = 0, max_abs = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = double(ours.ptr<float>()[i]) - ref.ptr<float>()[i];
    num += d * d;
    den += double(ref.ptr<float>()[i]) * ref.ptr<float>()[i];
    max_abs = std::max(max_abs, std::isfinite(d) ? std::fabs(d) : INFINITY);
  }
  std::printf(" rel_l2=%.3g max_abs=%.3g", std::sqrt(num / den), max_abs);
  if (ref.rank() != 3) return;
  ys::NmsOptions o;
  o.conf = 0.3f;
  const int channels = static_cast<int>(ref.dim(1)), anchors = static_cast<int>(ref.dim(2));
  const auto want = ys::non_max_suppression(ref.ptr<float>(), channels, anchors, o);
  o.conf = 0.2f;
  const auto got = ys::non_max_suppression(ours.ptr<float>(), channels, anchors, o);
  int found = 0;
  float worst_iou = 1.f;
  for (const ys::Detection& w : want) {
    float best = 0.f;
    for (const ys::Detection& d : got) {
      if (d.cls == w.cls) best = std::max(best, ys::box_iou(d, w));
    }
    found += best >= 0.9f;
    worst_iou = std::min(worst_iou, best);
  }
  std::printf(" ref_detections=%zu found=%d worst_iou=%.4f", want.size(), found, worst_iou);
}

// Prints every op's largest output magnitude after the op has finished.
class Tracer final : public ys::OpObserver {
 public:
  explicit Tracer(const ys::Executor& ex) : ex_(ex) {
    const ys::MemoryPlan& plan = ex.memory_plan();
    const int in = ex.graph().inputs.at(0);
    base_ =
        static_cast<std::byte*>(ex.input(0).data()) -
        plan.allocations[static_cast<size_t>(plan.slot_of_value[static_cast<size_t>(in)])].offset;
  }
  void on_op_begin(size_t) override {}
  void on_op_end(size_t step) override {
    const ys::Graph& g = ex_.graph();
    const ys::ExecutionStep& s = ex_.steps()[step];
    const ys::Node& n = g.nodes[static_cast<size_t>(s.node)];
    for (int v : n.outputs) {
      const ys::Value& val = g.values[static_cast<size_t>(v)];
      const int slot = ex_.memory_plan().slot_of_value[static_cast<size_t>(v)];
      if (slot < 0) continue;
      ys::Tensor host(val.dtype, val.shape);
      ex_.backend().synchronize();
      ex_.backend().copy_to_host(
          host.data(), base_ + ex_.memory_plan().allocations[static_cast<size_t>(slot)].offset,
          host.nbytes());
      double max_abs = 0;
      bool finite = true;
      for (int64_t i = 0; i < host.numel(); ++i) {
        const double x = ys::element_as_double(host, i);
        finite = finite && std::isfinite(x);
        if (std::isfinite(x)) max_abs = std::max(max_abs, std::fabs(x));
      }
      std::printf("trace step=%zu op=%s impl=%s value=%s max_abs=%.6g finite=%d\n", step,
                  n.op.c_str(), s.kernel->implementation().c_str(), val.name.c_str(), max_abs,
                  finite);
    }
  }

 private:
  const ys::Executor& ex_;
  std::byte* base_ = nullptr;
};

class OpTimer final : public ys::OpObserver {
 public:
  explicit OpTimer(const ys::Executor& ex) : ex_(ex) {}
  void on_op_begin(size_t) override {
    ex_.backend().synchronize();
    t0_ = ys::now_ns();
  }
  void on_op_end(size_t step) override {
    ex_.backend().synchronize();
    const double ms = static_cast<double>(ys::now_ns() - t0_) / 1e6;
    const ys::ExecutionStep& s = ex_.steps()[step];
    std::string impl = s.kernel->implementation();
    impl = impl.substr(0, impl.find(":algo"));
    by_op_[ex_.graph().nodes[static_cast<size_t>(s.node)].op] += ms;
    by_impl_[impl] += ms;
  }
  void print(int runs) const {
    for (const auto* m : {&by_op_, &by_impl_}) {
      std::vector<std::pair<double, std::string>> v;
      for (const auto& [k, ms] : *m) v.emplace_back(ms / runs, k);
      std::sort(v.rbegin(), v.rend());
      for (const auto& [ms, k] : v)
        std::printf("profile %s %s=%.4f ms\n", m == &by_op_ ? "op" : "impl", k.c_str(), ms);
    }
  }

 private:
  const ys::Executor& ex_;
  int64_t t0_ = 0;
  std::map<std::string, double> by_op_, by_impl_;
};

int bench(const Args& a) {
  ys::Graph g;
  if (ys::is_builtin_model(a.model)) {
    g = ys::build_builtin_model(a.model, 640, a.batch);
    ys::prepare_graph(g);
  } else {
    g = ys::load_onnx_file(a.model);
    ys::prepare_graph(g, {.input_shape = {a.batch, 3, 640, 640}});
  }
  if (!a.export_path.empty()) ys::export_onnx(g, a.export_path);
  // Creating the executor picks convolution algorithms and compiles fused kernels: a start-up
  // cost a user meets once per model load, reported beside the steady state.
  const int64_t t_create = ys::now_ns();
  ys::Executor ex(std::move(g), ys::make_cuda_backend({.half = a.half,
                                                       .cuda_graph = a.graph,
                                                       .graph_fusion = a.fusion,
                                                       .fusion_candidates = a.candidates}));
  const double create_s = static_cast<double>(ys::now_ns() - t_create) / 1e9;
  ex.set_input(0, make_input(a));
  for (int i = 0; i < a.warmup + 2; ++i) ex.run();
  ex.backend().synchronize();
  if (a.profile) {
    OpTimer timer(ex);
    ex.set_observer(&timer);
    for (int i = 0; i < 10; ++i) ex.run();
    ex.set_observer(nullptr);
    timer.print(10);
  }
  if (a.trace) {
    Tracer tracer(ex);
    ex.set_observer(&tracer);
    ex.run();
    ex.set_observer(nullptr);
  }

  std::vector<double> ms;
  for (int i = 0; i < a.iterations; ++i) {
    const int64_t t0 = ys::now_ns();
    ex.run();
    ex.backend().synchronize();
    ms.push_back(static_cast<double>(ys::now_ns() - t0) / 1e6);
  }
  std::sort(ms.begin(), ms.end());
  const int64_t t0 = ys::now_ns();
  for (int i = 0; i < a.iterations; ++i) ex.run();
  ex.backend().synchronize();
  const double total_s = static_cast<double>(ys::now_ns() - t0) / 1e9;

  size_t fused = 0, graph_fused = 0;
  for (const ys::ExecutionStep& s : ex.steps()) {
    const std::string impl = s.kernel->implementation();
    fused += impl.rfind("cudnn:conv_bias", 0) == 0;
    graph_fused += impl.rfind("cudnn:fused_conv", 0) == 0;
  }
  std::printf(
      "yolo_bench_gpu batch=%d half=%d graph=%d fusion=%d candidates=%d ops=%zu fused_convs=%zu "
      "graph_fused_convs=%zu create_s=%.2f iterations=%d median_ms=%.4f p90_ms=%.4f min_ms=%.4f "
      "throughput_ips=%.1f",
      a.batch, a.half, a.graph, a.fusion, a.candidates, ex.steps().size(), fused, graph_fused,
      create_s, a.iterations, ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.front(),
      a.iterations * a.batch / total_s);
  if (!a.reference.empty()) compare(ex.read_output(0), a.reference);
  std::printf(" device=\"%s\"\n", ys::cuda_device_description(0).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return bench(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "yolo_bench_gpu: %s\n", e.what());
    return 1;
  }
}
