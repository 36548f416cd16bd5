// The advisor's rules on the input: whether the profiled window is representative.
#include "analysis/advisor_rules.h"

#include <string>
#include <vector>

namespace ys::advisor_rules {
namespace {

// Thresholds (docs/ADVISOR.md says where each comes from).
constexpr double kBlankContrast = 5;       // luma stddev, gray levels of 255
constexpr double kStaticChange = 0.5;      // mean |luma change| between frames, gray levels
constexpr double kNoiseRoughness = 0.6;    // white noise ~1.1, camera footage and renders < 0.3
constexpr double kFloodCandidates = 1000;  // NMS candidates per image

}  // namespace

void input_rules(const Context& c, std::vector<Finding>& out) {
  const InputStats& in = c.in;
  if (in.frames == 0) return;
  const std::string n_frames = std::to_string(in.frames) + " measured frame(s)";
  bool blank = false;
  if (in.contrast.median < kBlankContrast) {
    blank = true;
    Finding f =
        make("input.blank", Severity::kWarning,
             "The input is blank or nearly constant (median contrast " + fmt(in.contrast.median) +
                 " of 255): the profile shows an empty scene, "
                 "not the deployment.");
    f.evidence = {{"contrast (luma stddev), median", in.contrast.median, "gray levels"},
                  {"brightness (mean luma), median", in.brightness.median, "gray levels"},
                  {"threshold", kBlankContrast, "gray levels"},
                  {"frames", static_cast<double>(in.frames), ""}};
    for (const auto& s : in.samples) {
      if (s.contrast < kBlankContrast && f.frames.size() < kListedFrames)
        f.frames.push_back(s.frame);
    }
    f.fix =
        "profile frames from the deployment camera (source=<video file or camera>); if this "
        "is the camera, check lens cap, exposure and cabling";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  }
  // A black video is static too; the blank finding already says why the window misleads.
  if (!blank && in.change.count >= 3 && in.change.median < kStaticChange) {
    Finding f =
        make("input.static", Severity::kWarning,
             "The video is static: frames barely change (median " + fmt(in.change.median, 2) +
                 " gray levels between frames), so every "
                 "frame costs the same and caches stay warm.");
    f.evidence = {{"change between frames, median", in.change.median, "gray levels"},
                  {"change between frames, max", in.change.max, "gray levels"},
                  {"threshold", kStaticChange, "gray levels"},
                  {"frame pairs", static_cast<double>(in.change.count), ""}};
    f.fix =
        "profile a stretch of footage with motion (another part of the video, "
        "profile_schedule=<wait>,<warmup>,<active> to move the window, or vid_stride=)";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  }
  if (!blank && in.roughness.median >= kNoiseRoughness) {
    Finding f =
        make("input.noise", Severity::kWarning,
             "The input looks like random noise (neighbouring pixels are uncorrelated, "
             "roughness " +
                 fmt(in.roughness.median, 2) +
                 "): no real scene, so detections and NMS load are not those of deployment.");
    f.evidence = {
        {"roughness (mean |neighbour difference| / contrast), median", in.roughness.median, ""},
        {"threshold (white noise ~1.1, camera footage < 0.3)", kNoiseRoughness, ""},
        {"contrast, median", in.contrast.median, "gray levels"},
        {"frames", static_cast<double>(in.frames), ""}};
    f.fix = "profile real images or video of the scene the model will see (source=<file>)";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  }
  if (c.run.synthetic_weights) {
    // Users of the built-in architectures know the weights are synthetic (the run says so); a
    // "no detections" warning would blame their input for what the weights do.
    Finding f = make("input.synthetic_weights", Severity::kInfo,
                     "The model has synthetic weights: detection counts, NMS and output costs "
                     "are not those of a trained model.");
    f.evidence = {{"detections per frame, median", in.detections.median, ""},
                  {"NMS candidates per frame, median", in.candidates.median, ""}};
    f.fix = "model=<trained model>.onnx for representative postprocessing figures";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  } else if (in.frames_with_detections == 0) {
    Finding f = make("input.no_detections", Severity::kWarning,
                     "No detections in " + n_frames +
                         ": NMS and output cost nothing here, unlike in deployment.");
    f.evidence = {{"frames with detections", 0, ""},
                  {"frames", static_cast<double>(in.frames), ""},
                  {"NMS candidates per frame, median", in.candidates.median, ""},
                  {"conf", c.run.conf, ""}};
    f.fix =
        "profile footage that shows the objects the model detects; if they are there, "
        "check conf= (now " +
        fmt(c.run.conf, 2) + ") and the model's classes";
    f.gain_how = kNoSpeedGain;
    out.push_back(f);
  }
  if (in.candidates.median > kFloodCandidates) {
    Finding f = make("input.nms_flood", Severity::kWarning,
                     "The confidence threshold floods NMS: median " + fmt(in.candidates.median, 0) +
                         " candidates per frame (conf=" + fmt(c.run.conf, 3) + ").");
    const double post = c.stage("box_decode") + c.stage("nms");
    f.evidence = {{"NMS candidates per frame, median", in.candidates.median, ""},
                  {"threshold", kFloodCandidates, "candidates"},
                  {"conf", c.run.conf, ""},
                  {"box decode + NMS, median", post, "ms"}};
    if (c.run.conf < 0.25) {
      f.fix = "conf=0.25 (Ultralytics' default for prediction)";
      f.settings = {{"conf", "0.25"}};
    } else {
      f.fix =
          "check the model's output decoding: a trained model rarely scores over 1000 boxes "
          "above conf=" +
          fmt(c.run.conf, 2);
    }
    f.expected_gain_pct = 0.9 * c.share(post);
    f.gain_how =
        "90% of box decode + NMS: their work grows with the candidates, and a scene "
        "rarely has more than 100 above conf=0.25";
    out.push_back(f);
  }
}

}  // namespace ys::advisor_rules
