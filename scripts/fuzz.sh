#!/usr/bin/env bash
# Fuzzes the model loader: configures build-fuzz/ with clang (libFuzzer, ASan, UBSan; no oneDNN,
# OpenCV or CUDA), builds model_fuzzer and runs it for a bounded time over the seed corpus in
# fuzz/corpus/model, and a quarter of it over ../shared/models when present. Exits non-zero on a
# crash, a leak, an uncaught exception or an internal error; the input that caused it is left in
# build-fuzz/artifacts/ and replays with  build-fuzz/fuzz/model_fuzzer FILE.
#
#   scripts/fuzz.sh [SECONDS]     (default 60)
#
# Environment:
#   YS_FUZZ_BUILD_DIR   build folder (default build-fuzz)
#   YS_FUZZ_ARGS        extra libFuzzer flags
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_TOTAL="${1:-60}"
if ! [[ "$SECONDS_TOTAL" =~ ^[0-9]+$ ]] || (( SECONDS_TOTAL < 1 )); then
  echo "fuzz.sh: SECONDS must be a positive whole number, got '$SECONDS_TOTAL'" >&2
  exit 2
fi
BUILD="${YS_FUZZ_BUILD_DIR:-build-fuzz}"
log() { echo "[fuzz] $*"; }

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (scripts/setup.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi

log "configuring $BUILD (clang, YS_FUZZ=ON)"
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DYS_FUZZ=ON -DYS_WITH_ONEDNN=OFF -DYS_WITH_OPENCV=OFF -DYS_WITH_CUDA=OFF \
  -DYS_BUILD_TESTS=OFF >/dev/null
log "building model_fuzzer"
cmake --build "$BUILD" --target model_fuzzer

# New inputs go to scratch folders so that the committed seeds stay small and reviewed.
artifacts="$BUILD/artifacts"
mkdir -p "$artifacts" "$BUILD/corpus"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
common=(-timeout=10 -dict=fuzz/onnx.dict -print_final_stats=1 -artifact_prefix="$artifacts/")

# The shared models (10-13 MB each, about 140 ms an execution) get a quarter of the time: their
# mutations reach real graphs, while the small seeds let libFuzzer run thousands a second.
small_seconds=$SECONDS_TOTAL
if [[ -d ../shared/models ]] && compgen -G "../shared/models/*.onnx" >/dev/null; then
  shared_seconds=$(( SECONDS_TOTAL / 4 > 0 ? SECONDS_TOTAL / 4 : 1 ))
  small_seconds=$(( SECONDS_TOTAL - shared_seconds > 0 ? SECONDS_TOTAL - shared_seconds : 1 ))
  rm -rf "$BUILD/corpus-shared"
  mkdir -p "$BUILD/corpus-shared"
  log "mutating ../shared/models for ${shared_seconds}s"
  # shellcheck disable=SC2086
  "$BUILD/fuzz/model_fuzzer" "$BUILD/corpus-shared" ../shared/models \
    -max_total_time="$shared_seconds" -max_len=16777216 -rss_limit_mb=4096 "${common[@]}" \
    ${YS_FUZZ_ARGS:-}
  rm -rf "$BUILD/corpus-shared"
else
  log "no ../shared/models: fuzzing the committed seeds only"
fi

log "fuzzing the seeds of fuzz/corpus/model for ${small_seconds}s"
# shellcheck disable=SC2086
"$BUILD/fuzz/model_fuzzer" "$BUILD/corpus" fuzz/corpus/model -max_total_time="$small_seconds" \
  -max_len=16384 -rss_limit_mb=2048 "${common[@]}" ${YS_FUZZ_ARGS:-}
log "no crash in ${SECONDS_TOTAL}s"
