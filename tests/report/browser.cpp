#include "browser.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

namespace ys::testing {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

fs::path out_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "yoloscope_report_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

BrowserRun run_chromium(const fs::path& dir, const std::string& args) {
  const fs::path profile = dir / "chromium-profile";
  fs::create_directories(profile);
  const fs::path err = dir / "chromium-stderr.txt";
  const std::string cmd = std::string("timeout 60 ") + kChromium +
                          " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                          " --disable-background-networking --disable-component-update"
                          " --disable-sync --disable-dev-shm-usage --hide-scrollbars"
                          " --enable-logging=stderr --v=0 --user-data-dir=" +
                          profile.string() + " " + args + " 2>" + err.string();
  BrowserRun run;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return run;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);
  run.status = pclose(pipe);
  run.err = read_file(err);
  fs::remove_all(profile);
  return run;
}

std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos)
      lines.push_back(line);
  return lines;
}

std::string unescape_html_text(std::string s) {
  const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    std::string out;
    size_t last = 0;
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, last)) {
      out.append(s, last, at - last).append(to);
      last = at + std::string(from).size();
    }
    s = out + s.substr(last);
  }
  return s;
}

json selftest(const fs::path& dir, const fs::path& report, std::string* dom) {
  const BrowserRun run =
      run_chromium(dir, "--dump-dom 'file://" + fs::absolute(report).string() + "#selftest'");
  EXPECT_EQ(run.status, 0) << run.err;
  for (const std::string& line : console_lines(run.err))
    ADD_FAILURE() << "browser console: " << line;
  const std::string open = "<pre id=\"selftest\" hidden=\"\">";
  const size_t a = run.out.find(open);
  const size_t b = run.out.find("</pre>", a);
  if (a == std::string::npos || b == std::string::npos) {
    ADD_FAILURE() << "no <pre id=\"selftest\"> in the dumped DOM:\n" << run.out.substr(0, 2000);
    return json();
  }
  if (dom) *dom = run.out;
  const std::string text = unescape_html_text(run.out.substr(a + open.size(), b - a - open.size()));
  json verdict = json::parse(text, nullptr, false);
  EXPECT_FALSE(verdict.is_discarded()) << text;
  return verdict;
}

}  // namespace ys::testing
