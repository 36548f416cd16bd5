#include "report/profile_session.h"

#include <algorithm>

#include "model/flops.h"
#include "pipeline/build_info.h"
#include "profiler/environment.h"

namespace ys {

ModelInfo describe_model(const Detector& detector) {
  const ModelDescription& d = detector.model();
  const Graph& g = detector.executor().graph();
  ModelInfo m;
  m.name = d.name;
  m.path = d.path;
  m.family = d.family.empty() ? "unknown" : d.family;
  m.synthetic_weights = d.synthetic_weights;
  m.input_shape = d.input_shape;
  m.parameters = g.parameter_count();
  int64_t flops = 0;
  for (const Node& n : g.nodes) flops += node_flops(g, n);
  m.gflops = static_cast<double>(flops) / 1e9 /
             static_cast<double>(std::max<int64_t>(1, d.input_shape[0]));
  m.layers = static_cast<int64_t>(group_layers(g).size());
  m.ops = static_cast<int64_t>(g.nodes.size());
  if (d.path != "built-in") {
    m.sha256 = sha256_file(d.path);
  } else {
    // Built-ins have no file: hash the weights so two reports show whether they ran the same.
    std::string bytes;
    for (const Value& v : g.values) {
      if (v.is_constant()) bytes.append(static_cast<const char*>(v.data.data()), v.data.nbytes());
    }
    m.sha256 = sha256_bytes(bytes.data(), bytes.size());
  }
  return m;
}

ProfileSession::ProfileSession(Detector& detector, ProfileSchedule schedule)
    : detector_(detector), profiler_(schedule, detector.executor().steps().size()) {
  detector_.set_stage_observer(&profiler_);
  sampler_ = std::make_unique<ResourceSampler>(50);
}

ProfileSession::~ProfileSession() {
  if (attached_) {
    detector_.set_stage_observer(nullptr);
    detector_.set_op_observer(nullptr);
  }
}

void ProfileSession::begin_frame(int64_t index) {
  const bool trace_ops = profiler_.begin_frame(index);
  detector_.set_op_observer(trace_ops ? &profiler_ : nullptr);
}

void ProfileSession::end_frame() {
  profiler_.end_frame();
  detector_.set_op_observer(nullptr);
}

ProfileResult ProfileSession::finish(const std::string& dir, const RunInfo& run,
                                     const nlohmann::json& advice) {
  detector_.set_stage_observer(nullptr);
  detector_.set_op_observer(nullptr);
  attached_ = false;
  sampler_->stop();
  const std::vector<ResourceSample> samples = sampler_->samples();
  ProfileAnalysis analysis = analyze_profile(profiler_, detector_.executor(), samples);
  ModelInfo model = describe_model(detector_);
  Environment env = collect_environment();
  for (const auto& [k, v] : library_versions()) env.libraries[k] = v;
  ProfileResult r;
  r.dir = dir;
  r.summary = summary_json(analysis, model, run, env, advice);
  write_profile_reports(dir, r.summary, chrome_trace(profiler_, detector_.executor(), samples),
                        layers_csv(analysis));
  r.console = console_summary(analysis, model, dir);
  return r;
}

}  // namespace ys
