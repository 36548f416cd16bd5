// The predict keys that shape a run, mapped once: the profile schedule (and how a short source
// shrinks it), the source's SourceSpec and the outputs' SinkOptions. `yolo detect predict` and the
// Python API's model.predict() both use these, so the two read every key the same way.
#pragma once

#include <optional>
#include <string>

#include "cli/args.h"
#include "pipeline/detector.h"
#include "pipeline/sink.h"
#include "pipeline/source.h"
#include "profiler/schedule.h"

namespace ys {

ProfileSchedule schedule_from(const Config& c);

// A short source (three images, say) cannot fill the schedule; measure what it has rather than
// nothing, keeping one warm-up frame when there are at least two, and say so.
// `explicit_schedule`: the user gave profile_schedule= (the warning's wording differs).
ProfileSchedule fit_schedule(ProfileSchedule s, std::optional<int64_t> frames,
                             bool explicit_schedule);

// `source` with the run's keys: vid_stride, max_pixels, frames for "synthetic" (by default as
// many as the profile schedule needs, or unbounded for a long run), raw_size and raw_fps for "-".
SourceSpec source_spec(const Config& c, const std::string& source);

// `spec`: the run's one source, whose frame rate a saved video of raw or synthetic frames takes;
// null for a list of inputs.
SinkOptions sink_options(const Config& c, const ModelDescription& model, const SourceSpec* spec);

}  // namespace ys
