#include "cli/predict_options.h"

#include <limits>

#include "core/log.h"

namespace ys {

ProfileSchedule schedule_from(const Config& c) {
  std::vector<int> s = c.get_int_list("profile_schedule");
  ProfileSchedule p;
  p.wait = s.at(0);
  p.warmup = s.at(1);
  p.active = s.at(2);
  p.repeat = s.size() > 3 ? s[3] : 1;
  return p;
}

ProfileSchedule fit_schedule(ProfileSchedule s, std::optional<int64_t> frames,
                             bool explicit_schedule) {
  if (!frames || *frames <= 0) return s;
  const int64_t needed = s.wait + s.warmup + 1;
  if (*frames >= needed) return s;
  ProfileSchedule f;
  f.wait = 0;
  f.warmup = *frames >= 2 ? 1 : 0;
  f.active = *frames - f.warmup;
  f.repeat = 1;
  log_warn("the source has only ", *frames, " frame(s), fewer than profile_schedule=", s.str(),
           explicit_schedule ? " asks for" : " (the default) needs", "; measuring ", f.active,
           " frame(s) after ", f.warmup,
           " warm-up frame(s) instead. Figures from so few frames are rough: ",
           "profile a video or use more images.");
  return f;
}

SourceSpec source_spec(const Config& c, const std::string& source) {
  SourceSpec spec;
  spec.source = source;
  std::vector<int> raw = c.get_int_list("raw_size");
  if (raw.size() == 2) {
    spec.raw_width = raw[0];
    spec.raw_height = raw[1];
  }
  spec.raw_fps = c.get_float("raw_fps");
  spec.synthetic_frames = c.get_int("frames");
  const bool profile = c.get_bool("profile");
  if (profile && source == "synthetic" && !c.is_set("frames")) {
    const ProfileSchedule s = schedule_from(c);
    if (s.repeat > 0)
      spec.synthetic_frames = static_cast<int>(s.wait + s.warmup + s.active * s.repeat);
    // A long run on the synthetic source lasts profile_duration, or until it is stopped.
    if (c.get_string("profile_detail") == "long")
      spec.synthetic_frames = std::numeric_limits<int>::max();
  }
  spec.vid_stride = c.get_int("vid_stride");
  spec.max_pixels = c.get_int("max_pixels");
  return spec;
}

SinkOptions sink_options(const Config& c, const ModelDescription& model, const SourceSpec* spec) {
  SinkOptions so;
  so.project = c.get_string("project");
  so.name = c.get_string("name");
  so.exist_ok = c.get_bool("exist_ok");
  so.save = c.get_bool("save");
  so.save_txt = c.get_bool("save_txt");
  so.save_conf = c.get_bool("save_conf");
  so.save_json = c.get_bool("save_json");
  so.names = model.names;
  if (spec)
    so.video_fps = spec->source == "-"           ? spec->raw_fps
                   : spec->source == "synthetic" ? spec->synthetic_fps
                                                 : 0;
  so.vid_stride = c.get_int("vid_stride");
  return so;
}

}  // namespace ys
