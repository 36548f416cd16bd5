#include "backends/cpu/omp_wait.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <string_view>

extern char** environ;

namespace ys::cpu {

std::vector<std::string> short_spin_environment(const char* const* envp) {
  std::vector<std::string> env;
  for (const char* const* e = envp; e && *e; ++e) {
    const std::string_view var(*e);
    if (var.starts_with("OMP_WAIT_POLICY=") || var.starts_with("GOMP_SPINCOUNT=")) return {};
    env.emplace_back(var);
  }
  env.emplace_back(kShortSpinCount);
  return env;
}

void restart_with_short_spin_waits(char** argv) {
  // AT_BASE is 0 when ld.so itself was the program exec'd: /proc/self/exe would then name ld.so.
  // AT_SECURE: a setuid start must not be re-run from an environment the user controls.
  if (getauxval(AT_BASE) == 0 || getauxval(AT_SECURE) != 0) return;
  const std::vector<std::string> env = short_spin_environment(environ);
  if (env.empty()) return;
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  execve("/proc/self/exe", argv, envp.data());
}

}  // namespace ys::cpu
