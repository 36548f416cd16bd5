// `yolo checks`: the machine and the build, for bug reports.
#include <iostream>

#include "backends/backend_registry.h"
#include "cli/commands.h"
#include "pipeline/build_info.h"
#include "profiler/environment.h"
#include "profiler/gpu_inventory.h"

namespace ys {

int run_checks() {
  Environment e = collect_environment();
  std::cout << "YoloScope " << kYoloScopeVersion << "\n"
            << "  OS: " << e.os << "\n  CPU: " << e.cpu_model << " (" << e.cores
            << " hardware threads)\n"
            << "  compiler: " << e.compiler << "\n";
  for (const auto& b : available_backends()) std::cout << "  backend: " << b << "\n";
  for (const auto& [k, v] : library_versions()) std::cout << "  " << k << ": " << v << "\n";
  // No GPU is no failure: the line says why there is none.
  for (const std::string& line : describe_gpu_inventory(list_gpus()))
    std::cout << "  " << line << "\n";
  return kExitOk;
}

}  // namespace ys
