// Headless Chromium for the report tests: runs /usr/bin/chromium on a page, collects its console
// messages, and reads the JSON verdict that a page opened with #selftest writes into
// <pre id="selftest"> (--dump-dom hands the DOM back). Tests skip without Chromium.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ys::testing {

inline const char* const kChromium = "/usr/bin/chromium";

#define REQUIRE_CHROMIUM()                                                     \
  do {                                                                         \
    if (!std::filesystem::exists(ys::testing::kChromium))                      \
      GTEST_SKIP() << ys::testing::kChromium                                   \
                   << " not found: browser checks of the HTML report skipped " \
                   << "(apt-get install -y chromium)";                         \
  } while (0)

std::string read_file(const std::filesystem::path& p);

// A fresh folder per test under the system temp dir; kept afterwards so a failing report can be
// opened, and so the screenshot can be looked at.
std::filesystem::path out_dir(const std::string& name);

struct BrowserRun {
  int status = -1;
  std::string out;  // stdout (the DOM for --dump-dom)
  std::string err;  // stderr, where --enable-logging puts console messages
};

// Chromium with `args` (e.g. "--dump-dom 'file://...'"), a profile folder of its own under `dir`.
BrowserRun run_chromium(const std::filesystem::path& dir, const std::string& args);

// Console messages (console.error, uncaught exceptions) in Chromium's log.
std::vector<std::string> console_lines(const std::string& log);

std::string unescape_html_text(std::string s);

// Loads `report` with #selftest and returns the page's verdict; every console message is a test
// failure.
nlohmann::json selftest(const std::filesystem::path& dir, const std::filesystem::path& report,
                        std::string* dom = nullptr);

}  // namespace ys::testing
