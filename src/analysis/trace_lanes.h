// The lanes of trace.json, shared by the host and the GPU events: the host is process 1 with
// threads 1-3 for stages, layers and ops, 4 for waits on the GPU and 10 on for CUDA API calls,
// one per host thread; each GPU is its own process from 100 on, so it sorts after the host;
// each device of a pool from 200 on.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ys::trace_lanes {

constexpr int kHostPid = 1;
constexpr int kStageTid = 1, kLayerTid = 2, kOpTid = 3;
constexpr int kWaitTid = 4;
constexpr int kApiTidBase = 10;
constexpr int kGpuPidBase = 100;
// Each device of a device pool (device=0,1) is a process from 200 on, after the GPUs' own.
constexpr int kDevicePidBase = 200;

// A metadata event naming a process ("process_name").
inline nlohmann::json name_event(const char* what, int pid, const std::string& name) {
  return {{"ph", "M"}, {"pid", pid}, {"name", what}, {"args", {{"name", name}}}};
}

// A thread's name and its place among its process's lanes.
inline void thread_events(int pid, int tid, const std::string& name, nlohmann::json& ev) {
  ev.push_back({{"ph", "M"},
                {"pid", pid},
                {"tid", tid},
                {"name", "thread_name"},
                {"args", {{"name", name}}}});
  ev.push_back({{"ph", "M"},
                {"pid", pid},
                {"tid", tid},
                {"name", "thread_sort_index"},
                {"args", {{"sort_index", tid}}}});
}

}  // namespace ys::trace_lanes
