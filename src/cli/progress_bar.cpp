#include "cli/progress_bar.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "core/clock.h"

namespace ys {
namespace {

constexpr int64_t kRedrawNs = 200'000'000;

std::string clock_text(double seconds) {
  const auto s = static_cast<int64_t>(std::max(0.0, std::round(seconds)));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  return buf;
}

int terminal_width(std::FILE* out) {
  winsize w{};
  if (ioctl(fileno(out), TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 80;
}

}  // namespace

std::string format_progress(const ProgressFigures& p, int width) {
  const double fps = p.elapsed_s > 0 ? static_cast<double>(p.frames) / p.elapsed_s : 0;
  char buf[160];
  std::string tail;
  if (p.total && *p.total > 0) {
    const double done =
        std::clamp(static_cast<double>(p.frames) / static_cast<double>(*p.total), 0.0, 1.0);
    const std::string eta =
        fps > 0 ? clock_text(static_cast<double>(std::max<int64_t>(*p.total - p.frames, 0)) / fps)
                : std::string("?");
    std::snprintf(buf, sizeof buf, "  %lld/%lld  %3d%%  %.1f fps  ETA %s  spikes %llu",
                  static_cast<long long>(p.frames), static_cast<long long>(*p.total),
                  static_cast<int>(done * 100), fps, eta.c_str(),
                  static_cast<unsigned long long>(p.spikes));
    tail = buf;
    // The bar takes what the figures leave, between 10 and 30 columns; none on a narrow terminal.
    const int room = width - 1 - static_cast<int>(tail.size()) - 2;
    const int bar = std::min(room, 30);
    if (bar < 10) return tail.substr(2, static_cast<size_t>(std::max(0, width - 1)));
    const int filled = static_cast<int>(std::floor(done * bar));
    return "[" + std::string(static_cast<size_t>(filled), '#') +
           std::string(static_cast<size_t>(bar - filled), '.') + "]" + tail;
  }
  std::snprintf(buf, sizeof buf, "%lld frames  %.1f fps  %s elapsed  spikes %llu",
                static_cast<long long>(p.frames), fps, clock_text(p.elapsed_s).c_str(),
                static_cast<unsigned long long>(p.spikes));
  return std::string(buf).substr(0, static_cast<size_t>(std::max(0, width - 1)));
}

bool progress_bar_wanted(bool verbose, int fd) {
  return !verbose && isatty(fd) == 1;
}

ProgressBar::ProgressBar(std::FILE* out, bool enabled)
    : out_(out), enabled_(enabled), start_ns_(now_ns()) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::update(int64_t frames, std::optional<int64_t> total, uint64_t spikes) {
  if (!enabled_) return;
  const int64_t t = now_ns();
  if (drawn_ && t - last_draw_ns_ < kRedrawNs) return;
  last_draw_ns_ = t;
  const ProgressFigures p{frames, total, static_cast<double>(t - start_ns_) / 1e9, spikes};
  // \r and erase-to-end: the new line may be shorter than the one it replaces.
  std::fprintf(out_, "\r%s\033[K", format_progress(p, terminal_width(out_)).c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace ys
