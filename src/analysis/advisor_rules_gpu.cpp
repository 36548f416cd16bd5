// The advisor's rules over what the GPU profiler measured (GpuFacts).
#include "analysis/advisor_rules.h"

#include <string>
#include <vector>

namespace ys::advisor_rules {
namespace {

// Thresholds (docs/ADVISOR.md says where each comes from).
constexpr double kLowComputePct = 10;  // achieved share of the device's peak at batch 1

}  // namespace

void gpu_rules(const Context& c, std::vector<Finding>& out) {
  if (!c.run.on_gpu() || !c.run.gpu) return;
  const GpuFacts& g = *c.run.gpu;
  const double inf = c.stage("inference");
  const std::string gpu_name = g.name.value_or("the GPU");
  const bool many_small = g.kernels_per_frame && g.kernels_per_frame.value() >= 100 &&
                          ((g.median_kernel_us && g.median_kernel_us.value() < 20) ||
                           (g.launch_gap_pct && g.launch_gap_pct.value() >= 30));
  const bool host_bound = g.host_launch_pct && g.host_launch_pct.value() >= 60;
  const bool launch_bound = !c.run.cuda_graph && (many_small || host_bound);
  if (!c.run.half && g.tensor_cores.value_or(false)) {
    Finding f = make("gpu.fp32_tensor_cores", Severity::kWarning,
                     "FP32 inference on " + gpu_name + ", which has tensor cores for FP16.");
    f.evidence = {{"half", 0, ""}, {"inference, median", inf, "ms"}};
    f.fix = "half=True";
    f.settings = {{"half", "True"}};
    // While the host's launches set the pace, faster kernels change nothing; the gain of FP16
    // shows once the launch-bound finding's fix is in, so that is what both sides run with.
    if (launch_bound) {
      f.baseline_settings = {{"cuda_graph", "True"}};
      f.fix = "half=True, with cuda_graph=True (see gpu.launch_bound)";
    }
    // Calibrated on the H200 traces (tests/fixtures/gpu): YOLOv8n's inference under a graph,
    // 2.95 ms in FP32 and 0.81 ms in FP16.
    f.expected_gain_pct = 0.7 * c.share(inf);
    f.gain_how =
        "70% of inference: recorded FP32 -> FP16 with a CUDA Graph on an H200, 2.95 -> "
        "0.81 ms";
    out.push_back(f);
  }
  if (launch_bound) {
    Finding f =
        make("gpu.launch_bound", Severity::kWarning,
             g.kernels_per_frame
                 ? "Inference is launch-bound: " + fmt(g.kernels_per_frame.value(), 0) +
                       " small kernels per frame with idle gaps, no CUDA Graph."
                 : "Inference is launch-bound: enqueueing the ops on the host takes " +
                       fmt(g.host_launch_pct.value(), 0) + "% of inference, no CUDA Graph.");
    if (g.kernels_per_frame) f.evidence.push_back({"kernels per frame", *g.kernels_per_frame, ""});
    if (g.median_kernel_us) f.evidence.push_back({"kernel, median", *g.median_kernel_us, "us"});
    if (g.launch_gap_pct)
      f.evidence.push_back({"GPU idle between kernels", *g.launch_gap_pct, "%"});
    if (g.host_launch_pct)
      f.evidence.push_back({"host enqueue time, share of inference", *g.host_launch_pct, "%"});
    f.fix = "cuda_graph=True (or batch= to make kernels larger)";
    f.settings = {{"cuda_graph", "True"}};
    // Without a kernel trace, the host's share beyond what the kernels need is unknown; half
    // of it is the usual saving of a graph over eager launches of a few hundred small kernels.
    const double gap = g.launch_gap_pct.value_or(0.5 * g.host_launch_pct.value_or(60));
    f.expected_gain_pct = 0.8 * c.share(inf) * gap / 100.0;
    f.gain_how = g.launch_gap_pct
                     ? "80% of the idle gaps inside inference, which a graph launch removes"
                     : "80% of half the host's launch time, which one graph launch replaces";
    out.push_back(f);
  }
  const double blocked = g.host_blocked_ms_per_frame.value_or(0);
  if (g.pageable_copy_bytes_per_frame.value_or(0) > 0 || c.share(blocked) >= 10) {
    Finding f = make("gpu.pageable_copies", Severity::kWarning,
                     "Host-device copies go through pageable memory or block the host (" +
                         fmt(blocked) + " ms per frame).");
    if (g.pageable_copy_bytes_per_frame)
      f.evidence.push_back({"pageable bytes per frame", *g.pageable_copy_bytes_per_frame, "bytes"});
    if (g.copy_ms_per_frame) f.evidence.push_back({"copies per frame", *g.copy_ms_per_frame, "ms"});
    f.evidence.push_back({"host blocked per frame", blocked, "ms"});
    if (c.run.gpu_pipeline) {
      f.fix =
          "allocate the input and output host buffers pinned (cudaHostAlloc) and copy the "
          "output asynchronously (cudaMemcpyAsync on the inference stream, synchronise only "
          "before postprocess)";
      f.expected_gain_pct = c.share(0.5 * g.copy_ms_per_frame.value_or(0) + 0.5 * blocked);
      f.gain_how = "half the copy and blocking time: pinned copies run about 2x faster and overlap";
    } else {
      // The host pipeline is the source of the pageable copies: letterbox and box decoding on
      // the CPU, the float32 tensors both ways. The GPU pipeline takes all of it.
      const double host = c.stage("preprocess") + c.stage("box_decode");
      f.finding =
          "The pipeline runs on the host (gpu_pipeline=False): preprocess and box "
          "decoding take " +
          fmt(host, 2) + " ms per frame on the CPU and " +
          mib(g.pageable_copy_bytes_per_frame.value_or(0)) +
          " per frame goes through pageable copies.";
      f.evidence.push_back({"preprocess + box decode on the host, median", host, "ms"});
      f.fix = "gpu_pipeline=True (pinned staging, 8-bit upload, only detections copied back)";
      f.settings = {{"gpu_pipeline", "True"}};
      f.expected_gain_pct =
          c.share(0.5 * g.copy_ms_per_frame.value_or(0) + 0.5 * blocked + 0.8 * host);
      f.gain_how =
          "half the copy and blocking time, and 80% of preprocess and box decoding (recorded "
          "on an H200: 2.9 + 1.2 ms on the host, 0.24 + 0.15 ms in the GPU pipeline)";
    }
    out.push_back(f);
  }
  const bool idle = g.busy_pct && g.busy_pct.value() < 50;
  const bool small = g.compute_pct && g.compute_pct.value() < kLowComputePct;
  if (c.run.batch == 1 && (idle || small)) {
    const bool room = !g.memory_total_bytes || !g.memory_used_bytes ||
                      g.memory_used_bytes.value() * 4 < g.memory_total_bytes.value();
    if (room) {
      Finding f = make("gpu.low_utilization", Severity::kInfo,
                       idle ? gpu_name + " is busy " + fmt(g.busy_pct.value(), 0) +
                                  "% of inference, with memory to spare for batching."
                            : gpu_name + " reaches " + fmt(g.compute_pct.value(), 1) +
                                  "% of its peak compute at batch 1, with memory to spare "
                                  "for batching.");
      if (g.busy_pct) f.evidence.push_back({"GPU busy, share of inference", *g.busy_pct, "%"});
      if (g.compute_pct)
        f.evidence.push_back({"achieved compute, share of peak", *g.compute_pct, "%"});
      f.evidence.push_back({"batch", 1, ""});
      if (g.memory_used_bytes)
        f.evidence.push_back({"memory used", double(*g.memory_used_bytes), "bytes"});
      if (g.memory_total_bytes)
        f.evidence.push_back({"memory total", double(*g.memory_total_bytes), "bytes"});
      f.fix = "batch=4 (throughput; latency per batch grows)";
      f.settings = {{"batch", "4"}};
      // Recorded on the H200: YOLOv8n's inference per image fell from 0.81 ms at batch 1 to
      // 0.14 ms at batch 8 (tests/fixtures/gpu); half of it is the conservative figure for 4.
      const double idle_share = idle ? 1.0 - g.busy_pct.value() / 100.0 : 1.0;
      f.expected_gain_pct = 0.5 * c.share(inf) * idle_share;
      f.gain_how = idle
                       ? "throughput: half of the GPU's idle share of inference, filled by batching"
                       : "throughput: half of inference per image (recorded: 0.81 ms at batch 1, "
                         "0.14 ms per image at batch 8 on an H200)";
      out.push_back(f);
    }
  }
  if (g.throttled_pct && g.throttled_pct.value() >= 5) {
    Finding f = make("gpu.throttling", Severity::kWarning,
                     gpu_name + " lowered its clocks (" + g.throttle_reason.value_or("throttling") +
                         ") in " + fmt(g.throttled_pct.value(), 0) + "% of the window.");
    f.evidence = {{"throttled samples", g.throttled_pct.value(), "%"}};
    if (g.sm_clock_min_mhz) f.evidence.push_back({"SM clock, min", *g.sm_clock_min_mhz, "MHz"});
    if (g.sm_clock_max_mhz) f.evidence.push_back({"SM clock, max", *g.sm_clock_max_mhz, "MHz"});
    f.fix =
        "improve cooling or airflow, or raise the power limit (nvidia-smi -pl) within the "
        "card's rating";
    double loss = 0.3;
    if (g.sm_clock_min_mhz && g.sm_clock_max_mhz && *g.sm_clock_max_mhz > 0)
      loss = 1.0 - *g.sm_clock_min_mhz / *g.sm_clock_max_mhz;
    f.expected_gain_pct = c.share(inf) * g.throttled_pct.value() / 100.0 * loss;
    f.gain_how = "inference time lost to the lower clock in the throttled share of the window";
    out.push_back(f);
  }
}

}  // namespace ys::advisor_rules
