// `yolo detect predict`: source -> detector -> sinks, with the Ultralytics console output, and
// the profiler attached when profile=True.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "analysis/advisor.h"
#include "cli/commands.h"
#include "cli/detector_options.h"
#include "cli/interrupt.h"
#include "cli/live_watch.h"
#include "cli/load_detector.h"
#include "cli/predict_options.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/startup_timeline.h"
#include "pipeline/class_names.h"
#include "pipeline/decoder_choice.h"
#include "pipeline/detector.h"
#include "pipeline/detector_pool.h"
#include "pipeline/frame_loop.h"
#include "pipeline/nvdec_source.h"
#include "pipeline/sink.h"
#include "pipeline/source.h"
#include "session/profile_session.h"

namespace ys {
namespace {

const char* process_env(const char* name) {
  return std::getenv(name);
}

std::string describe_frame(const Frame& f, int64_t n, std::optional<int64_t> total) {
  std::ostringstream os;
  const std::string of = total ? "/" + std::to_string(*total) : "";
  switch (f.kind) {
    case FrameKind::kImage:
      os << "image " << n << of << " " << f.source;
      break;
    case FrameKind::kVideo:
      os << "video 1/1 (frame " << f.index + 1 << of << ") " << f.source;
      break;
    case FrameKind::kStream:
      os << f.source << " (frame " << f.index + 1 << ")";
      break;
  }
  return os.str();
}

// An argument's value as the user would type it, for the report's record of the run.
std::string format_arg(const Config& c, const std::string& key) {
  const ArgValue& v = c.values.at(key);
  if (std::holds_alternative<std::monostate>(v)) return "None";
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "True" : "False";
  if (const int* i = std::get_if<int>(&v)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) return cat(*d);
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  // Built with a stream: g++ 12 flags string concatenation here with a false -Wrestrict.
  std::ostringstream list;
  list << '[';
  const auto& items = std::get<std::vector<int>>(v);
  for (size_t i = 0; i < items.size(); ++i) list << (i ? "," : "") << items[i];
  list << ']';
  return list.str();
}

std::string fmt_ms(double v, int digits = 1) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// A detect call's stages as children of the open start-up phase (the warm-up, the first frame).
void record_startup_stages(const std::array<int64_t, kPipelineStageCount>& begin_ns,
                           const std::array<double, kPipelineStageCount>& ms) {
  for (size_t s = 0; s < kPipelineStageCount; ++s) {
    if (begin_ns[s] == 0) continue;
    process_startup().record(pipeline_stage_name(static_cast<PipelineStage>(s)), begin_ns[s],
                             begin_ns[s] + static_cast<int64_t>(ms[s] * 1e6));
  }
}

// What a failed output means for the run, after the message that names the file.
void report_lost_outputs(const std::string& what, int64_t image) {
  std::cerr << "yolo: error: " << what << "\n";
  std::cerr << "yolo: error: the run stops: the results of image " << image
            << " and after are not saved; those before it are kept\n";
}

// The frame loop's delivery: writes each frame's results, prints its line when verbose and adds
// its stage times to the Speed line.
struct PredictOutput {
  ResultSink& sink;
  const ModelDescription& model;
  bool verbose = false;
  std::optional<int64_t> total;
  double pre_ms = 0, inf_ms = 0, post_ms = 0;
  int64_t images = 0;
  bool failed = false;
  int first_frame_phase = -1;  // the start-up's last phase, ended by the first delivery

  // False when an output cannot be written, which will not be writable for the next frame either.
  bool operator()(const DetectedBatch& b) {
    const int64_t delivery_ns = now_ns();
    const bool first = images == 0;
    if (first) record_startup_stages(b.stage_begin_ns, b.stage_ms);
    const bool ok = deliver(b);
    if (first) {
      process_startup().record("output", delivery_ns, now_ns());
      process_startup().end(first_frame_phase);
      process_startup().first_result();
    }
    return ok;
  }

  bool deliver(const DetectedBatch& b) {
    const auto& ms = b.stage_ms;
    pre_ms += ms[static_cast<size_t>(PipelineStage::kPreprocess)];
    inf_ms += ms[static_cast<size_t>(PipelineStage::kInference)];
    post_ms += ms[static_cast<size_t>(PipelineStage::kBoxDecode)] +
               ms[static_cast<size_t>(PipelineStage::kNms)];
    for (size_t i = 0; i < b.frames.size(); ++i) {
      const Frame& f = b.frames[i];
      ++images;
      try {
        sink.write(f, b.detections[i]);
      } catch (const Error& e) {
        report_lost_outputs(e.what(), images);
        failed = true;
        return false;
      }
      if (verbose) {
        std::cout << describe_frame(f, images, total) << ": " << model.input_shape[2] << "x"
                  << model.input_shape[3] << " " << detection_summary(b.detections[i], model.names)
                  << ", " << fmt_ms(ms[static_cast<size_t>(PipelineStage::kInference)]) << "ms"
                  << (f.damage.empty() ? "" : " (damaged: " + f.damage + ")") << "\n";
      }
    }
    return true;
  }

  void print_speed(double wall_s) const {
    const double n = static_cast<double>(images);
    std::cout << "Speed: " << fmt_ms(pre_ms / n) << "ms preprocess, " << fmt_ms(inf_ms / n)
              << "ms inference, " << fmt_ms(post_ms / n) << "ms postprocess per image at shape ("
              << model.input_shape[0] << ", " << model.input_shape[1] << ", "
              << model.input_shape[2] << ", " << model.input_shape[3] << ")\n";
    // What a stream can sustain: decoding, all stages and output together, overlapped where
    // they overlap, which per-stage averages cannot tell.
    std::cout << "Throughput: " << images << " images in " << fmt_ms(wall_s, 2) << " s, "
              << fmt_ms(n / std::max(wall_s, 1e-9)) << " images/s\n";
  }
};

// streams=N: the first detector and N-1 more of the same model, each warmed up, for their own
// streams; the first one's errors (a bad model, no GPU) have been reported by now. With a device
// list, N detectors per device instead, interleaved (0, 1, 0, 1, ...) as DetectorPool makes them;
// `names` gets each detector's device.
std::vector<Detector*> stream_detectors(Detector& first, const DetectorOptions& opts,
                                        const std::vector<std::string>& devices, int streams,
                                        std::vector<std::unique_ptr<Detector>>& extra,
                                        std::vector<std::string>& names) {
  std::vector<Detector*> detectors = {&first};
  names = devices.empty() ? std::vector<std::string>{} : std::vector<std::string>{devices.front()};
  const size_t per_stream = std::max<size_t>(devices.size(), 1);
  for (size_t k = 1; k < static_cast<size_t>(streams) * per_stream; ++k) {
    DetectorOptions o = opts;
    if (!devices.empty()) {
      o.device = devices[k % devices.size()];
      names.push_back(o.device);
    }
    extra.push_back(std::make_unique<Detector>(o));
    warm_up(*extra.back());
    detectors.push_back(extra.back().get());
  }
  return detectors;
}

// The advisor's several-device rules over a device pool's run (docs/ADVISOR.md).
std::vector<Finding> pool_findings(const PoolRun& pool, double wall_s) {
  DeviceBalance b;
  b.wall_ms = wall_s * 1e3;
  double read_ms = 0;
  for (const DeviceRun& d : pool.devices) {
    b.devices.push_back({.device = d.device, .frames = d.frames, .busy_ms = d.busy_ms});
    read_ms += d.read_ms;
  }
  if (b.wall_ms > 0) b.feeder_busy_pct = 100 * read_ms / b.wall_ms;
  return device_findings(b);
}

int finish_profile(ProfileSession& prof, LiveWatch& live, const Config& c,
                   const DetectorOptions& opts, const Detector& det, const Source& source,
                   const ProfileSchedule& schedule, int64_t images,
                   const std::filesystem::path& run_dir, int code,
                   const std::vector<DeviceRun>& device_runs, const DecoderChoice& decoder) {
  RunInfo run;
  run.startup = process_startup().breakdown();
  run.source = source.describe();
  run.frames_total = images;
  run.schedule = schedule;
  run.batch = det.batch();
  run.device = opts.device;
  run.backend = det.executor().backend().name();
  run.threads = opts.threads;
  for (const auto& key : c.given) run.args.emplace_back(key, format_arg(c, key));
  RunFacts facts;
  facts.device = opts.device;
  facts.half = c.get_bool("half");
  facts.cuda_graph = c.get_bool("cuda_graph");
  facts.gpu_pipeline = c.get_bool("gpu_pipeline");
  facts.batch = det.batch();
  facts.threads = opts.threads;
  facts.conf = opts.nms.conf;
  const std::string& src = c.get_string("source");
  facts.decoder = decoder_name(decoder.kind);
  facts.video_source = is_video_path(src) || src.find("://") != std::string::npos;
  facts.gpu_codec = decoder.gpu_codec;
  facts.read_ahead = decoder.kind == DecoderKind::kCpu;  // prefetch_source
  ProfileResult r = prof.finish((run_dir / "profile").string(), run, facts, device_runs);
  std::cout << r.console;
  const ReportSharingOutcome shared =
      share_finished_report(r.dir, report_sharing_options(c), process_env);
  for (size_t i = 0; i < shared.lines.size(); ++i)
    (shared.upload_failed && i + 1 == shared.lines.size() ? std::cerr : std::cout)
        << shared.lines[i] << "\n";
  if (shared.upload_failed && code == kExitOk) code = kExitPartial;
  live.finish(!shared.plain_removed);
  if (c.get_bool("serve") && shared.plain_removed) {
    // The plain folder the live server serves is gone: a server of the sealed report, decrypted
    // in memory, takes its port.
    live.close_server();
    return run_report_serve_file(shared.sealed_path, c) == kExitOk ? code : kExitError;
  }
  return code;
}

}  // namespace

int run_predict(const Config& c) {
  DetectorOptions opts = detector_options(c);
  // device=0,1: one detector per device, the first loaded here, so that its errors (a bad model,
  // no GPU) are said once, the others after the warm-up.
  const std::vector<std::string> devices = device_list(opts.device);
  DetectorOptions first = opts;
  first.device = devices.front();
  Detector det = load_detector(first);
  const ModelDescription& model = det.model();
  const bool verbose = c.get_bool("verbose");
  std::cout << "YoloScope: model " << model.name << " ("
            << (model.family.empty() ? "unknown family" : model.family) << ", input "
            << shape_str(model.input_shape) << ", " << det.executor().graph().nodes.size()
            << " ops on " << det.executor().backend().name() << ")\n";
  // A file exported from a built-in has been warned about as it loaded.
  if (model.synthetic_weights && model.path == "built-in") {
    std::cout << "WARNING: " << model.name
              << " is a built-in architecture with SYNTHETIC weights (deterministic, "
              << "not trained): its detections are meaningless. Pass model=<file>.onnx for real "
                 "results.\n";
  }

  const bool profile = c.get_bool("profile");
  // A missing report key or a malformed upload address is said now, not after the run.
  const ReportSharingOptions sharing = report_sharing_options(c);
  if (profile) {
    check_report_sharing(sharing, process_env);
  } else if (sharing.encrypt || !sharing.upload_to.empty()) {
    log_warn("report_encrypt and report_upload act on the profile report: they need profile=True");
  }
  ProfileSchedule schedule = schedule_from(c);
  const SourceSpec spec = source_spec(c, c.get_string("source"));
  // decoder=nvdec or nvjpeg where it cannot run says why in one line; the CPU decodes (issue 20).
  // NVDEC's frames go into one detector's input: a run of several detectors decodes on the CPU.
  const std::string requested_decoder = c.get_string("decoder");
  const bool one_detector = devices.size() == 1 && (c.get_int("streams") <= 1 || profile);
  const int source_phase = process_startup().begin("source_open");
  DecoderMachine machine;
  {
    // On a GPU run: NVDEC's and nvJPEG's libraries opened and closed again to see that they load.
    const StartupScope phase("decoder_probe");
    machine = probe_decoder_machine(c.get_string("device") != "cpu");
  }
  DecoderChoice decoder =
      confirm_decoder(choose_decoder(requested_decoder, spec.source, machine), requested_decoder,
                      one_detector ? 1 : 2, det.uses_gpu_pipeline());
  std::unique_ptr<Source> source;
  if (decoder.kind == DecoderKind::kNvdec) {
    // Host pixels only for the annotated images and videos of save=True.
    NvdecSourceResult nvdec =
        open_nvdec_source(spec.source, det, spec.vid_stride, c.get_bool("save"), requested_decoder);
    source = std::move(nvdec.source);
    decoder = source ? DecoderChoice{DecoderKind::kNvdec, "", true}
                     : DecoderChoice{DecoderKind::kCpu, nvdec.note, decoder.gpu_codec};
  }
  if (!decoder.note.empty()) std::cout << decoder.note << "\n";
  // Read ahead by a batch and a little more, so that decoding overlaps detection; no further, since
  // a frame of a 4K video is 25 MB. NVDEC's frames are in the detector's input: never ahead.
  if (!source) source = prefetch_source(open_source(spec), det.batch() + 2);
  process_startup().end(source_phase);
  // An interrupt must not wait for input that may never come (a stalled pipe on source=-).
  const OnInterrupt wake_source([&source] { source->cancel(); });
  std::cout << "Source: " << source->describe() << "\n";
  std::optional<int64_t> total = source->size();
  // vid_stride thins videos only: the images of a list or directory all run.
  std::optional<int64_t> frames_to_run = total;
  if (total && (is_video_path(spec.source) || spec.source == "synthetic"))
    frames_to_run = (*total + spec.vid_stride - 1) / spec.vid_stride;
  if (profile) schedule = fit_schedule(schedule, frames_to_run, c.is_set("profile_schedule"));

  const SinkOptions so = sink_options(c, model, &spec);
  ResultSink sink(so);
  // The profile's folder too is made before the run, so that an unusable one fails now.
  const std::filesystem::path run_dir =
      !sink.dir().empty() || !profile ? sink.dir() : make_run_dir(so.project, so.name, so.exist_ok);

  const int warm_up_phase = process_startup().begin("warm_up");
  const double warm_up_ms = warm_up(det);  // before the profiler attaches: no frame of the run
  record_startup_stages(det.last_stage_begin_ns(), det.last_stage_ms());
  process_startup().end(warm_up_phase);
  if (verbose)
    std::cout << "Warm-up: " << fmt_ms(warm_up_ms)
              << "ms for a first, cold inference on a blank batch, not counted in Speed\n";

  // device=0,1: streams= detectors per device, with or without a profile (a pool's profile has
  // a figure set per device).
  const bool pool_run = devices.size() > 1;
  int streams = c.get_int("streams");
  if (!pool_run && streams > 1 && profile) {
    log_warn("streams=", streams, " runs as streams=1 with profile=True: a profile follows one ",
             "detector's frames from read to output");
    streams = 1;
  }
  std::vector<std::unique_ptr<Detector>> extra;
  std::vector<std::string> pool_devices;
  const int extra_phase = process_startup().begin("more_detectors");
  const std::vector<Detector*> detectors = stream_detectors(
      det, opts, pool_run ? devices : std::vector<std::string>{}, streams, extra, pool_devices);
  process_startup().end(extra_phase);

  const int attach_phase = process_startup().begin("profiler_attach");
  std::unique_ptr<ProfileSession> prof;
  if (profile && pool_run) {
    if (c.get_bool("profile_whatif") || c.get_string("profile_detail") != "default")
      log_warn("device=", opts.device, ": profile_whatif and profile_detail= profile one device; ",
               "with a device list they are off, and each device's stages are profiled (issue 21)");
    prof = std::make_unique<ProfileSession>(detectors, pool_devices, schedule);
  } else if (profile) {
    std::optional<LongRunOptions> long_run;
    if (c.get_string("profile_detail") == "long") {
      long_run.emplace();
      long_run->dir = (run_dir / "profile").string();
      if (!c.is_none("profile_duration")) long_run->duration_s = c.get_float("profile_duration");
      if (!c.get_bool("profile_host")) long_run->host_period_ms = 0;
    }
    prof = std::make_unique<ProfileSession>(det, schedule, c.get_bool("profile_whatif"),
                                            c.get_string("profile_detail") == "detailed",
                                            std::move(long_run));
  }

  // Bound before the first frame, so that a port in use fails the run now, not after it.
  LiveWatch live(c, det, frames_to_run, profile ? run_dir / "profile" : std::filesystem::path());
  process_startup().end(attach_phase);

  PredictOutput out{.sink = sink, .model = model, .verbose = verbose, .total = total};
  FrameLoop loop{.detectors = detectors,
                 .source = source.get(),
                 .deliver = [&out](const DetectedBatch& b) { return out(b); },
                 .stop = &g_stop_requested};
  if (prof) loop.observers.push_back(prof.get());
  loop.observers.push_back(&live);
  if (prof) live.watch_spikes(prof->long_recorder());
  PoolRun pool;
  if (!pool_devices.empty()) {
    loop.devices = pool_devices;
    loop.device_runs = &pool.devices;
  }
  const int64_t t_start = now_ns();  // loading the extra models is start-up, like the first
  out.first_frame_phase = process_startup().begin("first_frame");
  run_frame_loop(loop);
  const double wall_s = static_cast<double>(now_ns() - t_start) / 1e9;
  live.frames_done();
  bool output_failed = out.failed;
  try {
    sink.close();
  } catch (const Error& e) {
    std::cerr << "yolo: error: " << e.what() << "\n";
    output_failed = true;
  }
  if (g_stop_requested)
    std::cerr << "yolo: interrupted after " << out.images << " images; finished work is kept\n";
  if (out.images > 0) {
    out.print_speed(wall_s);
    // Where the time to the first result went (issue 19.3), also in the profile's summary.json.
    if (verbose || profile) std::cout << startup_line(process_startup().breakdown()) << "\n";
  } else
    std::cout << "No image could be read from " << spec.source << ".\n";
  if (!sink.dir().empty()) std::cout << "Results saved to " << sink.dir().string() << "\n";

  int code = g_stop_requested ? kExitInterrupted : kExitOk;
  if (!pool.devices.empty()) {
    pool.devices = merge_device_runs(pool.devices);  // streams per device: one entry per device
    std::cout << "Devices: " << describe_devices(pool) << "\n";
    for (const std::string& line : describe_failures(pool)) std::cerr << "yolo: " << line << "\n";
    // A profile runs these rules with the rest of its advice, on the same counts.
    for (const Finding& f : prof ? std::vector<Finding>{} : pool_findings(pool, wall_s))
      std::cout << "Advice: " << f.id << ": " << f.finding << ". Fix: " << f.fix << "\n";
    if (pool.any_failed() && code == kExitOk) code = kExitPartial;
  }
  if (!source->errors().empty()) {
    std::cerr << source->errors().size() << " input(s) skipped or damaged:\n";
    for (const auto& e : source->errors()) std::cerr << "  " << e << "\n";
    if (code == kExitOk) code = kExitPartial;
  }
  if ((out.images == 0 && code != kExitInterrupted) || output_failed) code = kExitError;
  if (prof)
    code = finish_profile(*prof, live, c, opts, det, *source, schedule, out.images, run_dir, code,
                          pool.devices, decoder);
  else
    live.finish(false);
  live.serve_until_stopped();
  return code;
}

}  // namespace ys
