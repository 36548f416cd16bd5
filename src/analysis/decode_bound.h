// The pipeline.decode_bound rule (issue 20.4): a run on a GPU whose CPU decoding, not the model,
// sets the pace. advise() calls it with figures from the profile (decode_facts); the rule itself
// is a pure function of them. Thresholds and wording: docs/ADVISOR.md, "Decoding".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ys {

struct Finding;
struct ProfileAnalysis;
struct RunFacts;

struct DecodeFacts {
  bool on_gpu = false;          // the model ran on a CUDA device
  std::string decoder = "cpu";  // the decoder the run used: cpu, nvdec or nvjpeg
  bool video = true;            // a video or stream (nvdec's); false: image files (nvjpeg's)
  bool gpu_codec = true;        // the codec has a GPU decoder (H.264/H.265/AV1/VP9, or JPEG)
  int64_t frames = 0;
  double wall_ms = 0;         // the run, file to last result
  double decode_ms = 0;       // the reader's decoding time
  double detect_busy_ms = 0;  // the detector's time (preprocess to NMS)
};

constexpr double kDecodeBoundPct = 80;        // decoding busy 80% of the run ...
constexpr double kDecodeBoundDetectPct = 60;  // ... while detection fills under 60% of it

// The finding, or none: only on a GPU, with CPU decoding of a codec a GPU decoder takes.
// Its expected gain assumes GPU decoding overlaps detection completely: the run would take the
// detector's time.
std::optional<Finding> decode_bound_finding(const DecodeFacts& facts);

// With a reader thread ahead of the detector (RunFacts::read_ahead), a loop that waits for it at
// all (a median read of at least this share of the frame's cycle) waits because the reader was
// decoding throughout the cycle: the reader is then busy the whole cycle.
constexpr double kDecodeWaitPct = 5;

// The rule's figures from a one-detector profile: per measured batch, read + detection
// (preprocess to NMS) + output is the cycle, and the run is the median cycle times the batches;
// decoding is the read stage when read inline, the whole cycle when a reader thread ahead of
// the loop was waited for (kDecodeWaitPct).
DecodeFacts decode_facts(const ProfileAnalysis& a, const RunFacts& run);

}  // namespace ys
