#!/usr/bin/env bash
# The benchmark command: YoloScope's CPU backend against ONNX Runtime (CPU) on the same model,
# input and thread count, interleaved round by round so that machine noise hits both alike.
#
#   bench/run_bench.sh [model=PATH] [threads=2] [warmup=5] [iters=30] [rounds=3]
#
# Installs onnxruntime-node 1.30.0 into .bench/ when missing (npm, --ignore-scripts: the CPU
# library ships in the package), builds build/ (scripts/setup.sh), then runs each round
# build/bench/yolo_bench_cpu and bench/ort_bench.js once each, and prints a markdown table with
# the median over rounds of each round's median and p90 latency, and the ratio ours/ORT.
# YS_BENCH_NO_BUILD=1 skips the setup/build step; YS_BENCH_BUILD_DIR=DIR takes yolo_bench_cpu
# from DIR/bench instead of build/bench.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHARED="${YOLOSCOPE_TESTDATA:-$ROOT/../shared}"
MODEL="$SHARED/models/yolov8n-coco.onnx"
THREADS=2
WARMUP=5
ITERS=30
ROUNDS=3
ORT_VERSION=1.30.0

for a in "$@"; do
  case "$a" in
    model=*) MODEL="${a#*=}" ;;
    threads=*) THREADS="${a#*=}" ;;
    warmup=*) WARMUP="${a#*=}" ;;
    iters=*) ITERS="${a#*=}" ;;
    rounds=*) ROUNDS="${a#*=}" ;;
    *) echo "run_bench.sh: unknown argument '$a' (model= threads= warmup= iters= rounds=)" >&2; exit 2 ;;
  esac
done
[[ -f "$MODEL" ]] || { echo "run_bench.sh: model '$MODEL' not found (set YOLOSCOPE_TESTDATA or model=)" >&2; exit 2; }
command -v node >/dev/null || { echo "run_bench.sh: node (Debian package nodejs) is needed for the ONNX Runtime side" >&2; exit 2; }

log() { echo "[bench] $*" >&2; }

# 1. ONNX Runtime for Node, once.
ORT_PKG="$ROOT/.bench/node_modules/onnxruntime-node/package.json"
if [[ ! -f "$ORT_PKG" ]] || ! grep -q "\"version\": \"$ORT_VERSION\"" "$ORT_PKG"; then
  log "installing onnxruntime-node@$ORT_VERSION into .bench/"
  mkdir -p "$ROOT/.bench"
  (cd "$ROOT/.bench" && npm install --ignore-scripts --no-audit --no-fund --silent "onnxruntime-node@$ORT_VERSION" >&2)
fi

# 2. Our build.
if [[ "${YS_BENCH_NO_BUILD:-0}" != 1 ]]; then
  "$ROOT/scripts/setup.sh" >&2
fi
OURS="$ROOT/${YS_BENCH_BUILD_DIR:-build}/bench/yolo_bench_cpu"
[[ -x "$OURS" ]] || { echo "run_bench.sh: $OURS was not built" >&2; exit 1; }

# 3. Interleaved rounds; each side prints one JSON line with median_ms and p90_ms.
RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT
for r in $(seq 1 "$ROUNDS"); do
  log "round $r/$ROUNDS: yoloscope"
  # yolo_bench_cpu prints "latency over N runs after W warm-up: median X ms, p90 Y ms, ..." (it
  # also times a second, profiled series for its per-op tables; top=0 keeps those short).
  out="$("$OURS" "model=$MODEL" "threads=$THREADS" "warmup=$WARMUP" "iterations=$ITERS" top=0)"
  line="$(grep '^{' <<<"$out" | tail -1 || true)"
  if [[ -z "$line" ]]; then
    line="$(sed -n 's/^latency over .*: median \([0-9.]*\) ms, p90 \([0-9.]*\) ms.*/{"system":"yolo_bench_cpu","median_ms":\1,"p90_ms":\2}/p' <<<"$out" | tail -1)"
  fi
  [[ -n "$line" ]] || { echo "run_bench.sh: no latency line from yolo_bench_cpu:" >&2; echo "$out" >&2; exit 1; }
  echo "ours $line" >>"$RESULTS"
  log "round $r/$ROUNDS: onnxruntime"
  line="$(node "$ROOT/bench/ort_bench.js" "model=$MODEL" "threads=$THREADS" "warmup=$WARMUP" "iters=$ITERS" | grep '^{' | tail -1)"
  [[ -n "$line" ]] || { echo "run_bench.sh: ort_bench.js printed no JSON line" >&2; exit 1; }
  echo "ort $line" >>"$RESULTS"
done

CPU_MODEL="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
CORES="$(nproc 2>/dev/null || echo '?')"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
if [[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ]]; then COMMIT="$COMMIT (+ uncommitted changes)"; fi

node - "$RESULTS" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$CPU_MODEL" "$CORES" "$COMMIT" "$(basename "$MODEL")" \
  "$THREADS" "$WARMUP" "$ITERS" "$ROUNDS" <<'EOF'
const fs = require('fs');
const [file, date, cpu, cores, commit, model, threads, warmup, iters, rounds] = process.argv.slice(2);
const runs = { ours: [], ort: [] };
const names = {};
for (const l of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
  const sp = l.indexOf(' ');
  const who = l.slice(0, sp);
  const j = JSON.parse(l.slice(sp + 1));
  runs[who].push(j);
  if (j.system) names[who] = j.system;
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const agg = (who) => ({
  median: med(runs[who].map((j) => j.median_ms)),
  p90: med(runs[who].map((j) => j.p90_ms)),
  rounds: runs[who].map((j) => j.median_ms.toFixed(1)).join(' / '),
});
const ours = agg('ours');
const ort = agg('ort');
const f = (x) => x.toFixed(1);
console.log(`### ${model}, batch 1, CPU, ${threads} threads`);
console.log('');
console.log(`${date} · ${cpu || 'unknown CPU'}, ${cores} cores · commit ${commit}`);
console.log(`${rounds} interleaved rounds of ${warmup} warmup + ${iters} timed runs each; figures are the median over rounds of each round's median / p90.`);
console.log('');
console.log('| system | threads | median ms | p90 ms | ratio ours/ORT | per-round medians ms |');
console.log('|---|---|---|---|---|---|');
console.log(`| YoloScope CPU (${names.ours || 'yolo_bench_cpu'}) | ${threads} | ${f(ours.median)} | ${f(ours.p90)} | ${(ours.median / ort.median).toFixed(2)} | ${ours.rounds} |`);
console.log(`| ${names.ort || 'ONNX Runtime'} | ${threads} | ${f(ort.median)} | ${f(ort.p90)} | 1.00 | ${ort.rounds} |`);
EOF
