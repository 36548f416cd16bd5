#include "profiler/resource_sampler.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/clock.h"

namespace ys {

int64_t process_cpu_time_ns() {
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream ss(line.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && ss >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? (utime + stime) * 1000000000LL / ticks : 0;
}

int64_t process_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long long size = 0, resident = 0;
  if (!(f >> size >> resident)) return 0;
  return resident * sysconf(_SC_PAGESIZE);
}

ResourceSampler::ResourceSampler(int period_ms)
    : last_t_(now_ns()), last_cpu_(process_cpu_time_ns()) {
  // The first reading waits one period: CPU use is a rate over the time since the previous one.
  sampler_.start(period_ms, PeriodicSampler<ResourceSample>::FirstReading::kAfterOnePeriod,
                 [this](std::vector<ResourceSample>& out) {
                   const int64_t t = now_ns(), cpu = process_cpu_time_ns();
                   ResourceSample s;
                   s.t_ns = t;
                   s.cpu_percent = t > last_t_ ? 100.0 * static_cast<double>(cpu - last_cpu_) /
                                                     static_cast<double>(t - last_t_)
                                               : 0;
                   s.rss_bytes = process_rss_bytes();
                   last_t_ = t;
                   last_cpu_ = cpu;
                   out.push_back(s);
                 });
}

ResourceSampler::~ResourceSampler() {
  stop();
}

}  // namespace ys
