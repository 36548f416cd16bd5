// The `yolo` command: parses Ultralytics-style arguments and dispatches to a mode.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <new>

#include "backends/backend_registry.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "core/error.h"
#include "core/log.h"
#include "core/startup_timeline.h"
#include "pipeline/build_info.h"

namespace ys {
namespace {

int dispatch(const CliCommand& cmd) {
  if (cmd.mode == "help") {
    std::cout << help_text();
    return kExitOk;
  }
  if (cmd.mode == "version") {
    std::cout << "YoloScope " << kYoloScopeVersion << "\n";
    for (const auto& b : available_backends()) std::cout << "backend: " << b << "\n";
    return kExitOk;
  }
  if (cmd.mode == "checks") return run_checks();
  if (cmd.mode == "predict") return run_predict(cmd.config);
  if (cmd.mode == "info") return run_info(cmd.config);
  if (cmd.mode == "export") return run_export(cmd.config);
  if (cmd.mode == "benchmark") return run_benchmark(cmd.config);
  if (cmd.mode == "compare") return run_compare(cmd.config);
  if (cmd.mode == "report") {
    if (cmd.sub == "encrypt") return run_report_encrypt(cmd.config);
    if (cmd.sub == "decrypt") return run_report_decrypt(cmd.config);
    if (cmd.sub == "upload") return run_report_upload(cmd.config);
    return run_report_serve(cmd.config);
  }
  std::cerr << "yolo: mode '" << cmd.mode << "' is not implemented\n";
  return kExitUsage;
}

}  // namespace
}  // namespace ys

int main(int argc, char** argv) {
  // Before anything else, so that the start-up's phases (issue 19.3) are timed from here.
  ys::process_startup().arm(ys::process_start_ns());
  std::vector<std::string> args(argv + 1, argv + argc);
  ys::CliCommand cmd;
  try {
    const ys::StartupScope phase("args");
    cmd = ys::parse_command_line(args);
    ys::apply_environment(cmd.config, [](const char* k) { return std::getenv(k); });
  } catch (const ys::Error& e) {
    std::cerr << "yolo: " << e.what() << "\n";
    return ys::kExitUsage;
  }
  try {
    ys::install_interrupt_handlers();
    return ys::dispatch(cmd);
  } catch (const ys::Error& e) {
    std::cerr << "yolo: error: " << e.what() << "\n";
    return e.kind() == ys::ErrorKind::kInvalidArgument ? ys::kExitUsage : ys::kExitError;
  } catch (const std::filesystem::filesystem_error& e) {
    // Paths come from the user (model=, source=, project=): a symlink loop or a name too long is
    // theirs to fix, not an internal error.
    std::cerr << "yolo: error: " << (e.path1().empty() ? "" : e.path1().string() + ": ")
              << e.code().message() << "\n";
    return ys::kExitError;
  } catch (const std::bad_alloc&) {
    std::cerr << "yolo: error: out of memory; a smaller imgsz, batch or streams needs less\n";
    return ys::kExitError;
  } catch (const std::exception& e) {
    std::cerr << "yolo: internal error: " << e.what() << "\n";
    return ys::kExitError;
  }
}
