// YoloScope's metrics as Prometheus reads them (docs/METRICS.md lists each): the names, types,
// labels and units of a LiveMetrics snapshot in the text exposition format 0.0.4. A program that
// embeds the Detector feeds a LiveMetrics from its own loop and serves prometheus_metrics() from
// its own HTTP endpoint; `yolo` serves it at /metrics. Reading never waits on the pipeline.
#pragma once

#include <string>

#include "profiler/live_metrics.h"

namespace ys {

std::string prometheus_metrics(const LiveSnapshot& s);
// Takes a snapshot and writes it: the one call an embedding program needs.
std::string prometheus_metrics(const LiveMetrics& metrics);

}  // namespace ys
