#!/usr/bin/env bash
# The busy-machine benchmark: CPU inference latency of each thread policy on a quiet machine and
# with another process keeping one core busy (a shell loop pinned there with taskset), in
# interleaved rounds so that drifting machine noise hits every policy alike.
#
#   bench/loaded_bench.sh [model=PATH] [warmup=3] [iters=20] [rounds=3] [busy_cpu=1]
#
# Policies: the default (threads=0: a thread per core that other processes leave free), every
# core (threads=N: libgomp's default spin-waiting, the default before issue 12), one thread,
# every core with OMP_WAIT_POLICY=passive, and every core with GOMP_SPINCOUNT=1000 (libgomp reads
# both when it loads, so they are set for the process from outside). Each run is
# build/bench/yolo_bench_cpu (YS_BENCH_BUILD_DIR=DIR takes DIR/bench); the table gives the median
# over rounds of each run's median latency, the ratio loaded/quiet, and the threads in use.
# Needs taskset (util-linux) and a machine with at least two cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${YOLOSCOPE_TESTDATA:-$ROOT/../shared}"
MODEL="$SHARED/models/yolov8n-coco.onnx"
WARMUP=3
ITERS=20
ROUNDS=3
BUSY_CPU=1
for a in "$@"; do
  case "$a" in
    model=*) MODEL="${a#*=}" ;;
    warmup=*) WARMUP="${a#*=}" ;;
    iters=*) ITERS="${a#*=}" ;;
    rounds=*) ROUNDS="${a#*=}" ;;
    busy_cpu=*) BUSY_CPU="${a#*=}" ;;
    *) echo "loaded_bench.sh: unknown argument '$a' (model= warmup= iters= rounds= busy_cpu=)" >&2; exit 2 ;;
  esac
done
BENCH="$ROOT/${YS_BENCH_BUILD_DIR:-build}/bench/yolo_bench_cpu"
[[ -x "$BENCH" ]] || { echo "loaded_bench.sh: $BENCH is missing (cmake --build build --target yolo_bench_cpu)" >&2; exit 2; }
[[ -f "$MODEL" ]] || { echo "loaded_bench.sh: model '$MODEL' not found (set YOLOSCOPE_TESTDATA or model=)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "loaded_bench.sh: taskset (util-linux) is needed" >&2; exit 2; }
CORES="$(nproc)"
(( CORES >= 2 )) || { echo "loaded_bench.sh: needs at least two cores, this machine has $CORES" >&2; exit 2; }

# name|environment|threads
POLICIES=(
  "default (threads=0)||0"
  "every core, spinning (threads=$CORES)||$CORES"
  "one thread (threads=1)||1"
  "every core, OMP_WAIT_POLICY=passive|OMP_WAIT_POLICY=passive|$CORES"
  "every core, GOMP_SPINCOUNT=1000|GOMP_SPINCOUNT=1000|$CORES"
)

log() { echo "[loaded_bench] $*" >&2; }
BUSY_PID=""
RESULTS="$(mktemp)"
stop_busy() {
  if [[ -n "$BUSY_PID" ]]; then
    kill "$BUSY_PID" 2>/dev/null || true
    wait "$BUSY_PID" 2>/dev/null || true
    BUSY_PID=""
  fi
}
trap 'stop_busy; rm -f "$RESULTS"' EXIT

# One run: prints "median_ms threads_in_use".
measure() {
  local environment="$1" threads="$2" out
  # The policy's own variables only: inherited OpenMP settings would blur the comparison.
  out="$(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OMP_NUM_THREADS $environment \
    "$BENCH" "model=$MODEL" "threads=$threads" "warmup=$WARMUP" "iterations=$ITERS" top=0)"
  local median in_use
  median="$(sed -n 's/^latency over .*: median \([0-9.]*\) ms.*/\1/p' <<<"$out")"
  in_use="$(sed -n 's/.*(in use: \([0-9]*\)).*/\1/p' <<<"$out")"
  [[ -n "$median" ]] || { echo "loaded_bench.sh: no latency line from yolo_bench_cpu:" >&2; echo "$out" >&2; exit 1; }
  echo "$median ${in_use:-?}"
}

START_LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for state in quiet loaded; do
    if [[ "$state" == loaded ]]; then
      taskset -c "$BUSY_CPU" sh -c 'while :; do :; done' &
      BUSY_PID=$!
      sleep 0.5
    fi
    for i in "${!POLICIES[@]}"; do
      IFS='|' read -r name environment threads <<<"${POLICIES[$i]}"
      log "round $r/$ROUNDS, $state: $name"
      echo "$i $state $(measure "$environment" "$threads")" >>"$RESULTS"
    done
    stop_busy
  done
done
END_LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"

CPU_MODEL="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
if [[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ]]; then COMMIT="$COMMIT (+ uncommitted changes)"; fi
echo "### $(basename "$MODEL"), batch 1, CPU: quiet and with core $BUSY_CPU kept busy"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC') · ${CPU_MODEL:-unknown CPU}, $CORES cores · commit $COMMIT · load average $START_LOAD before, $END_LOAD after"
echo "$ROUNDS interleaved rounds of $WARMUP warm-up + $ITERS timed runs; median over rounds of each run's median."
echo
echo "| policy | quiet ms | loaded ms | loaded/quiet | threads quiet / loaded | per-round loaded ms |"
echo "|---|---|---|---|---|---|"
for i in "${!POLICIES[@]}"; do
  IFS='|' read -r name _ _ <<<"${POLICIES[$i]}"
  awk -v i="$i" -v name="$name" '
    function median(a, n,   j, k, t) {
      for (j = 2; j <= n; j++) { t = a[j]; for (k = j - 1; k >= 1 && a[k] > t; k--) a[k + 1] = a[k]; a[k + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    # Thread counts are listed once each: the default may pick a different count in a round.
    function add(list, t) { return index("," list ",", "," t ",") ? list : list (list == "" ? "" : ",") t }
    $1 == i && $2 == "quiet" { q[++nq] = $3; tq = add(tq, $4) }
    $1 == i && $2 == "loaded" { l[++nl] = $3; tl = add(tl, $4); rounds = rounds (rounds == "" ? "" : " / ") sprintf("%.1f", $3) }
    END {
      mq = median(q, nq); ml = median(l, nl)
      printf "| %s | %.1f | %.1f | %.2f | %s / %s | %s |\n", name, mq, ml, ml / mq, tq, tl, rounds
    }' "$RESULTS"
done
