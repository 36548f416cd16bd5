#include "cli/benchmark_ab.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/benchmark_run.h"
#include "cli/commands.h"
#include "core/error.h"
#include "report/benchmark_file.h"

extern char** environ;

namespace ys {
namespace {

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return path.find('/') != std::string::npos && stat(path.c_str(), &st) == 0 &&
         S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> tokens(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

// The side's key=value changes applied to the command's config.
Config side_config(const Config& base, const std::string& side, const char* name) {
  Config c = base;
  for (const std::string& t : tokens(side)) {
    const size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0)
      fail(ErrorKind::kInvalidArgument, name, "=", side, ": '", t,
           "' is neither key=value nor an executable yolo binary (a path with a '/')");
    try {
      c.set(t.substr(0, eq), t.substr(eq + 1));
    } catch (const Error& e) {
      fail(ErrorKind::kInvalidArgument, name, "=", side, ": ", e.what());
    }
  }
  return c;
}

// Appends b's frames to a's (same side, a later chunk).
void append(BenchmarkRecord& a, const BenchmarkRecord& b) {
  if (a.stages.empty() && a.layers.empty()) {
    a = b;
    return;
  }
  auto join = [](std::vector<BenchmarkSeries>& into, const std::vector<BenchmarkSeries>& from) {
    for (const BenchmarkSeries& s : from) {
      auto it = std::find_if(into.begin(), into.end(),
                             [&](const BenchmarkSeries& x) { return x.name == s.name; });
      if (it == into.end())
        into.push_back(s);
      else
        it->ms.insert(it->ms.end(), s.ms.begin(), s.ms.end());
    }
  };
  join(a.stages, b.stages);
  join(a.layers, b.layers);
  a.calibration_ms.insert(a.calibration_ms.end(), b.calibration_ms.begin(), b.calibration_ms.end());
  a.frames += b.frames;
}

// A temporary folder for the chunks' files, removed with everything in it.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "yolo-compare-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) fail(ErrorKind::kIo, "cannot create a folder in ", tmpl);
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

std::string value_text(const Config& c, const std::string& key) {
  const ArgValue& v = c.values.at(key);
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "True" : "False";
  if (const int* i = std::get_if<int>(&v)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) return std::to_string(*d);
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* l = std::get_if<std::vector<int>>(&v)) {
    std::string out = "[";
    for (size_t k = 0; k < l->size(); ++k) out += (k ? "," : "") + std::to_string((*l)[k]);
    return out + "]";
  }
  return "None";
}

// One `yolo benchmark` process; its console output is dropped, its errors pass through.
BenchmarkRecord run_chunk(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& out, const char* side) {
  std::vector<std::string> argv_s = {binary, "benchmark"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  argv_s.push_back("out=" + out);
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) fail(ErrorKind::kIo, side, "=", binary, ": cannot start it: ", std::strerror(err));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(ErrorKind::kIo, side, "=", binary, ": 'yolo benchmark' failed (",
         WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status)) : "killed",
         "); its messages are above");
  return read_benchmark_file(out);
}

std::pair<BenchmarkRecord, BenchmarkRecord> run_processes(const Config& c, const std::string& a,
                                                          const std::string& b) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> common;
  for (const char* key : {"model", "source", "imgsz", "batch", "half", "device", "threads",
                          "cuda_graph", "gpu_pipeline", "cudnn_fusion", "vid_stride"})
    common.push_back(std::string(key) + "=" + value_text(c, key));
  struct Side {
    std::string binary;
    std::vector<std::string> args;
    BenchmarkRecord record;
  } sides[2];
  const std::string texts[2] = {a, b};
  for (int k = 0; k < 2; ++k) {
    sides[k].args = common;
    if (is_executable_file(texts[k])) {
      sides[k].binary = texts[k];
    } else {
      side_config(c, texts[k], k == 0 ? "a" : "b");  // validates the changes here first
      sides[k].binary = self;
      for (const std::string& t : tokens(texts[k])) sides[k].args.push_back(t);
    }
  }
  // Four chunks a side, ABBA BAAB: each side gets as many early as late chunks.
  constexpr int kChunks = 4;
  const int frames = c.get_int("frames");
  const int per_chunk = std::max(1, (frames + kChunks - 1) / kChunks);
  const ScratchDir dir;
  const int order[2 * kChunks] = {0, 1, 1, 0, 1, 0, 0, 1};
  for (int i = 0; i < 2 * kChunks && !g_stop_requested; ++i) {
    Side& s = sides[order[i]];
    std::vector<std::string> args = s.args;
    args.push_back("frames=" + std::to_string(per_chunk));
    const std::string out = dir.path + "/chunk" + std::to_string(i) + ".json";
    std::cout << "  chunk " << i + 1 << "/" << 2 * kChunks << ": side "
              << (order[i] == 0 ? "a" : "b") << "\n"
              << std::flush;
    append(s.record, run_chunk(s.binary, args, out, order[i] == 0 ? "a" : "b"));
  }
  return {sides[0].record, sides[1].record};
}

}  // namespace

std::pair<BenchmarkRecord, BenchmarkRecord> run_ab(const Config& c, const std::string& a,
                                                   const std::string& b) {
  if (is_executable_file(a) || is_executable_file(b)) return run_processes(c, a, b);
  BenchmarkRun ra(side_config(c, a, "a"), "a");
  BenchmarkRun rb(side_config(c, b, "b"), "b");
  std::cout << "A/B in one process, frames alternating ABBA:\n  a: " << ra.describe()
            << "\n  b: " << rb.describe() << "\n"
            << std::flush;
  for (int pair = 0; !(ra.done() && rb.done()) && !g_stop_requested; ++pair) {
    BenchmarkRun& first = pair % 2 == 0 ? ra : rb;
    BenchmarkRun& second = pair % 2 == 0 ? rb : ra;
    first.step();
    second.step();
  }
  std::pair<BenchmarkRecord, BenchmarkRecord> out{ra.finish(), rb.finish()};
  for (const std::string& n : out.first.notes) std::cout << "Note (a): " << n << "\n";
  for (const std::string& n : out.second.notes) std::cout << "Note (b): " << n << "\n";
  return out;
}

}  // namespace ys
