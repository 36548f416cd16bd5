// The modes of the `yolo` command, one function each. They return the process exit code
// (see exit_codes below) and report problems on stderr; argument errors never reach them.
#pragma once

#include <atomic>
#include <string>

#include "cli/args.h"
#include "session/report_sharing.h"

namespace ys {

// 0: done; 1: a fatal error (model, source or output unusable); 2: bad arguments;
// 3: done, but some inputs (files, frames) were skipped; 130: interrupted, finished work kept.
enum ExitCode {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitPartial = 3,
  kExitInterrupted = 130
};

// Set by SIGINT/SIGTERM; long-running modes stop at the next frame and keep what they wrote.
extern std::atomic<bool> g_stop_requested;

int run_predict(const Config& c);
int run_info(const Config& c);
int run_export(const Config& c);
int run_report_serve(const Config& c);
int run_report_serve_dir(const std::string& dir, const Config& c);
int run_report_serve_file(const std::string& file, const Config& c);
int run_report_encrypt(const Config& c);
int run_report_decrypt(const Config& c);
int run_report_upload(const Config& c);
// report_encrypt, report_keep_plain, report_key_file, report_upload, s3_sse and upload_timeout.
ReportSharingOptions report_sharing_options(const Config& c);
int run_checks();
// yolo benchmark and yolo compare (docs/BENCHMARK.md); compare exits 1 on a regression.
int run_benchmark(const Config& c);
int run_compare(const Config& c);

}  // namespace ys
