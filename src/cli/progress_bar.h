// The one-line console progress of a run with verbose=False: frames (of how many), fps, the time
// left and the spikes so far, redrawn in place a few times a second. Only on a terminal: when
// stdout is a file or a pipe, a log would fill with carriage returns, so nothing is printed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace ys {

struct ProgressFigures {
  int64_t frames = 0;
  std::optional<int64_t> total;  // frames the source holds, when known
  double elapsed_s = 0;
  uint64_t spikes = 0;
};

// "[#######.............]  120/795  15%  24.3 fps  ETA 0:28  spikes 0", or without a known total
// "120 frames  24.3 fps  0:05 elapsed  spikes 0"; never wider than `width` columns.
std::string format_progress(const ProgressFigures& p, int width = 80);

// True when a bar is to be drawn on `fd`: verbose=False and the descriptor is a terminal.
bool progress_bar_wanted(bool verbose, int fd);

class ProgressBar {
 public:
  // Draws on `out` only when `enabled`; otherwise every call does nothing.
  ProgressBar(std::FILE* out, bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Redraws at most five times a second, so a fast run does not spend its time on the terminal.
  void update(int64_t frames, std::optional<int64_t> total, uint64_t spikes);
  // Clears the line, so that the run's summary starts on a clean one.
  void finish();

 private:
  std::FILE* out_;
  bool enabled_;
  bool drawn_ = false;
  int64_t start_ns_;
  int64_t last_draw_ns_ = 0;
};

}  // namespace ys
