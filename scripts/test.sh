#!/usr/bin/env bash
# The test command (README; .ci/run runs exactly this):
#   0. scripts/check_layers.sh: every include against the layer table (docs/ARCHITECTURE.md);
#   1. scripts/setup.sh: Debian packages when missing, then the Release build in build/;
#   2. ctest on build/, then scripts/perf_gate.sh: the built-in YOLOv8n benchmarked against the
#      baseline in bench/baselines/, failing on a confirmed regression over 10% (docs/BENCHMARK.md);
#   3. a second build with AddressSanitizer + UndefinedBehaviorSanitizer (-DYS_SANITIZE=ON, -O1
#      -g1, no CUDA) in build-asan/, and ctest on it, less the tests below. Both ctest runs always
#      run; the script fails if either (or a build) fails. -O1 -g1 (line tables only, enough for
#      the sanitizers' stack traces) compiles in about half the time of -O2 -g; this build was
#      two fifths of CI's 41 minutes.
#   4. scripts/fuzz.sh: the model loader's libFuzzer target (clang, build-fuzz/) for a bounded
#      time; it fails on any crash, sanitizer report or internal error (docs/FUZZING.md).
#
# Environment:
#   YS_TEST_JOBS      parallel ctest jobs (default: number of cores)
#   YS_SKIP_ASAN=1    only steps 1 and 2
#   YS_ASAN_EXCLUDE   ctest -E regex for the sanitizer run (default below; empty string: none)
#   YS_FUZZ_SECONDS   fuzzing time of step 4 (default 90); YS_SKIP_FUZZ=1 leaves step 4 out
#   YS_SKIP_PERF=1    leaves the performance gate out
#
# Excluded under ASan: OnnxNodeSummary.Report, which reruns in one process the node-test cases that
# run one by one anyway; and the end-to-end runs whose length is wall time, not work (the long runs
# of 40-60 s each with their sidecars, the planted 0.5 s stall of the session's long-run test,
# whose period the neighbours' spikes hid under ASan on a loaded machine, the Prometheus scrape,
# the live dashboard): their recorders, metrics and writers are unit-tested under ASan, and the runs
# themselves in the Release pass. The whole-model tests (YOLOv8n / YOLOv5nu / YOLO11n at 640x640 against
# ONNX Runtime, built-in models) stay in: with oneDNN doing the convolutions they take 3-17 s each
# under ASan on 2 cores (docs/PERFORMANCE.md has the timings of the whole script).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
JOBS="${YS_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}"
DEFAULT_ASAN_EXCLUDE='OnnxNodeSummary\.|YoloLongRun\.|LongRun\.CheckpointsAndFinal|LongRunGpu\.|PrometheusScrape\.|YoloLive\.Dashboard'
ASAN_EXCLUDE="${YS_ASAN_EXCLUDE-$DEFAULT_ASAN_EXCLUDE}"

T0=$(date +%s)
stamp() { echo "[test] $(( $(date +%s) - T0 ))s: $*"; }
status=0

stamp "layer check"
if ! scripts/check_layers.sh; then
  status=1
  echo "[test] layer check FAILED" >&2
fi

stamp "setup and Release build (build/)"
if ! scripts/setup.sh; then
  echo "[test] setup or Release build failed" >&2
  exit 1
fi

stamp "ctest build/ (-j$JOBS)"
if ! ctest --test-dir build --output-on-failure -j "$JOBS"; then
  status=1
  echo "[test] Release tests FAILED" >&2
fi

if [[ "${YS_SKIP_PERF:-0}" != 1 ]]; then
  stamp "performance gate (scripts/perf_gate.sh)"
  if ! scripts/perf_gate.sh build; then
    status=1
    echo "[test] performance gate FAILED (build/perf/; re-baselining: docs/BENCHMARK.md)" >&2
  fi
fi

if [[ "${YS_SKIP_ASAN:-0}" != 1 ]]; then
  stamp "ASan+UBSan build (build-asan/)"
  if cmake -S "$ROOT" -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYS_SANITIZE=ON \
       -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DYS_WITH_CUDA=OFF && cmake --build build-asan; then
    exclude=()
    [[ -n "$ASAN_EXCLUDE" ]] && exclude=(-E "$ASAN_EXCLUDE")
    stamp "ctest build-asan/ (-j$JOBS, excluded: ${ASAN_EXCLUDE:-none})"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    if ! ctest --test-dir build-asan --output-on-failure -j "$JOBS" "${exclude[@]}"; then
      status=1
      echo "[test] sanitizer tests FAILED" >&2
    fi
  else
    status=1
    echo "[test] sanitizer build FAILED" >&2
  fi
fi

if [[ "${YS_SKIP_FUZZ:-0}" != 1 ]]; then
  stamp "fuzzing the model loader (build-fuzz/, ${YS_FUZZ_SECONDS:-90}s)"
  if ! scripts/fuzz.sh "${YS_FUZZ_SECONDS:-90}"; then
    status=1
    echo "[test] fuzzing FAILED (the input is in build-fuzz/artifacts/)" >&2
  fi
fi

stamp "done ($([[ $status == 0 ]] && echo passed || echo FAILED))"
exit $status
