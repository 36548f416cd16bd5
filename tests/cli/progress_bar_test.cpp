// The console progress bar: its line for a source of known and unknown length, its width, and
// silence when stdout is not a terminal (a file, a pipe) or verbose=True.
#include "cli/progress_bar.h"

#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace ys {
namespace {

TEST(ProgressBar, LineWithAKnownTotal) {
  const std::string line =
      format_progress({.frames = 120, .total = 795, .elapsed_s = 5, .spikes = 2}, 80);
  EXPECT_EQ(line, "[####..........................]  120/795   15%  24.0 fps  ETA 0:28  spikes 2");
  EXPECT_LT(line.size(), 80u);
}

TEST(ProgressBar, LineWithoutATotalSaysElapsedTime) {
  EXPECT_EQ(
      format_progress({.frames = 3000, .total = std::nullopt, .elapsed_s = 3725, .spikes = 0}),
      "3000 frames  0.8 fps  1:02:05 elapsed  spikes 0");
}

TEST(ProgressBar, BeforeTheFirstFrameTheEtaIsUnknownAndTheEndIsFull) {
  EXPECT_NE(format_progress({.frames = 0, .total = 10, .elapsed_s = 0, .spikes = 0}).find("ETA ?"),
            std::string::npos);
  const std::string done =
      format_progress({.frames = 10, .total = 10, .elapsed_s = 2, .spikes = 0});
  EXPECT_EQ(done.substr(0, 32), "[" + std::string(30, '#') + "]");
  EXPECT_NE(done.find("100%"), std::string::npos);
  EXPECT_NE(done.find("ETA 0:00"), std::string::npos);
}

TEST(ProgressBar, ANarrowTerminalDropsTheBarThenCutsTheLine) {
  const ProgressFigures p{.frames = 120, .total = 795, .elapsed_s = 5, .spikes = 0};
  const std::string narrow = format_progress(p, 50);
  EXPECT_EQ(narrow.find('['), std::string::npos) << narrow;
  EXPECT_LE(narrow.size(), 49u);
  EXPECT_EQ(narrow.rfind("120/795", 0), 0u) << narrow;
  EXPECT_LE(format_progress(p, 20).size(), 19u);
  EXPECT_LE(
      format_progress({.frames = 5, .total = std::nullopt, .elapsed_s = 1, .spikes = 0}, 12).size(),
      11u);
}

TEST(ProgressBar, OnlyOnATerminalAndOnlyWithVerboseFalse) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(progress_bar_wanted(false, fileno(file))) << "a file is not a terminal";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_FALSE(progress_bar_wanted(false, fds[1])) << "a pipe is not a terminal";
  close(fds[0]);
  close(fds[1]);
  int master = -1, slave = -1;
  if (openpty(&master, &slave, nullptr, nullptr, nullptr) == 0) {
    EXPECT_TRUE(progress_bar_wanted(false, slave));
    EXPECT_FALSE(progress_bar_wanted(true, slave)) << "verbose=True prints its lines instead";
    close(master);
    close(slave);
  }
  {
    ProgressBar silent(file, progress_bar_wanted(false, fileno(file)));
    silent.update(1, 10, 0);
    silent.update(2, 10, 0);
    silent.finish();
  }
  EXPECT_EQ(std::ftell(file), 0) << "nothing written when stdout is not a terminal";
  std::fclose(file);
}

TEST(ProgressBar, DrawsInPlaceAndClearsAtTheEnd) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressBar bar(file, true);
    bar.update(1, 10, 0);
    bar.update(2, 10, 0);  // within 0.2 s of the first: not drawn
  }
  std::rewind(file);
  char buf[512] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, file);
  std::fclose(file);
  const std::string out(buf, n);
  EXPECT_EQ(out.rfind("\r[", 0), 0u) << out;
  EXPECT_NE(out.find(" 1/10 "), std::string::npos) << out;
  EXPECT_EQ(out.find(" 2/10 "), std::string::npos) << "redraws are limited to five a second";
  EXPECT_TRUE(out.ends_with("\r\033[K")) << "the line is cleared for the summary";
  EXPECT_EQ(out.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ys
