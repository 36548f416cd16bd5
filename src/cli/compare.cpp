// `yolo compare`: two benchmark files (baseline= current=), or two configurations or binaries
// measured alternately in one run (a= b=), compared stage by stage (and layer by layer with
// level=layer). Exit code 0: no regression; 1: a regression; 2: bad arguments or files.
#include <iostream>

#include "cli/benchmark_ab.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/file_io.h"
#include "report/benchmark_file.h"
#include "report/benchmark_report.h"

namespace ys {
namespace {

std::string render(const ComparisonResult& r, const std::string& title, const std::string& format) {
  if (format == "markdown") return comparison_markdown(r, title);
  if (format == "junit") return comparison_junit(r, title);
  if (format == "json") return comparison_json(r, title).dump(1) + "\n";
  return comparison_table(r, title);
}

}  // namespace

int run_compare(const Config& c) {
  const bool ab = c.is_set("a") || c.is_set("b");
  const bool files = c.is_set("baseline") || c.is_set("current");
  if (ab == files || (ab && (!c.is_set("a") || !c.is_set("b"))) ||
      (files && (!c.is_set("baseline") || !c.is_set("current")))) {
    std::cerr << "yolo: compare needs baseline=<A.json> current=<B.json> (two yolo benchmark "
                 "files), or a=<config|yolo binary> b=<config|yolo binary> (A/B in one run), "
                 "not both\n";
    return kExitUsage;
  }
  const std::string format = c.is_set("format") ? c.get_string("format") : "table";
  if (format == "onnx") {
    std::cerr << "yolo: compare: format=onnx is an export format; use table, markdown, junit or "
                 "json\n";
    return kExitUsage;
  }
  const CompareLevel level =
      c.get_string("level") == "layer" ? CompareLevel::kLayer : CompareLevel::kStage;
  const std::string& n = c.get_string("normalize");
  const Normalize normalize = n == "calibration" ? Normalize::kCalibration
                              : n == "none"      ? Normalize::kNone
                                                 : Normalize::kAuto;
  BenchmarkRecord baseline, current;
  std::string title;
  if (files) {
    baseline = read_benchmark_file(c.get_string("baseline"));
    current = read_benchmark_file(c.get_string("current"));
    title = "baseline=" + c.get_string("baseline") + " current=" + c.get_string("current");
  } else {
    std::tie(baseline, current) = run_ab(c, c.get_string("a"), c.get_string("b"));
    if (g_stop_requested) return kExitInterrupted;
    title = "a=" + c.get_string("a") + " b=" + c.get_string("b");
  }
  BootstrapOptions stats;
  stats.widen_by_drift = files;
  stats.paired = !files;
  const ComparisonResult r =
      compare_benchmarks(baseline, current, c.get_float("threshold"), level, normalize,
                         /*same_work_expected=*/files, stats);
  const std::string& out = c.get_string("out");
  if (out.empty()) {
    std::cout << render(r, title, format);
  } else {
    write_file_atomic(out, render(r, title, format), "cannot write the comparison " + out);
    std::cout << comparison_table(r, title) << "Saved " << out << "\n";
  }
  return r.regression() ? kExitError : kExitOk;
}

}  // namespace ys
