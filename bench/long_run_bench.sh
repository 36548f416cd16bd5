#!/usr/bin/env bash
# The long-run benchmark (issue 15): a profile_detail=long run of the synthetic source at the
# highest frame rate the CPU reaches, with its resident memory sampled every 10 s (flat after
# warm-up means bounded), the sizes of summary.json and report.html, the recorder's own overhead
# figures, and whether a clean run (nothing planted) reports a periodic finding; then the cost of
# long mode against profile=False, as throughput of interleaved rounds of each (so that drifting
# machine noise hits both alike).
#
#   bench/long_run_bench.sh [duration=1800] [rounds=2] [round_s=60] [imgsz=160] [out=DIR]
#
# The issue's benchmark is duration=1800 (30 min); its clean run is the first 10 minutes or more
# of the same run. Results: DIR/rss.csv, DIR/summary.txt (printed at the end).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
YOLO="${YS_YOLO:-$ROOT/build/yolo}"
DURATION=1800
ROUNDS=2
ROUND_S=60
IMGSZ=160
OUT="$(mktemp -d /tmp/ys_long_bench.XXXXXX)"
for a in "$@"; do
  case "$a" in
    duration=*) DURATION="${a#*=}" ;;
    rounds=*) ROUNDS="${a#*=}" ;;
    round_s=*) ROUND_S="${a#*=}" ;;
    imgsz=*) IMGSZ="${a#*=}" ;;
    out=*) OUT="${a#*=}" ;;
    -h | --help)
      sed -n '2,13p' "$0"
      exit 0
      ;;
    *)
      echo "long_run_bench.sh: unknown argument '$a' (see --help)" >&2
      exit 2
      ;;
  esac
done
[[ -x "$YOLO" ]] || {
  echo "long_run_bench.sh: no yolo binary at $YOLO (build it, or set YS_YOLO)" >&2
  exit 2
}
mkdir -p "$OUT"
cd "$OUT"
COMMON=(predict model=yolov8n source=synthetic "imgsz=$IMGSZ" save=False verbose=False exist_ok=True project="$OUT/runs")

# 1. The long run, its RSS every 10 s.
"$YOLO" "${COMMON[@]}" name=long profile=True profile_detail=long "profile_duration=$DURATION" \
  >long.txt 2>&1 &
pid=$!
echo "t_s,rss_kib" >rss.csv
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [[ -n "$rss" ]] && echo "$(($(date +%s) - start)),$rss" >>rss.csv
  sleep 10
done
wait "$pid" || true
S="$OUT/runs/long/profile/summary.json"

# 2. Throughput: profile=False against profile_detail=long, interleaved rounds.
throughput() { sed -n 's/^Throughput: .* images in .* s, \([0-9.]*\) images\/s$/\1/p' "$1"; }
: >rounds.txt
for ((r = 1; r <= ROUNDS; r++)); do
  # profile=False has no duration: SIGINT ends it and it still prints its throughput.
  timeout -s INT "$ROUND_S" "$YOLO" "${COMMON[@]}" name=off frames=100000000 >off.txt 2>&1 || true
  "$YOLO" "${COMMON[@]}" name=on profile=True profile_detail=long "profile_duration=$ROUND_S" >on.txt 2>&1
  echo "round $r: off $(throughput off.txt) images/s, long $(throughput on.txt) images/s" | tee -a rounds.txt
done

python3 - "$S" "$OUT" <<'PY' | tee summary.txt
import json, os, sys, statistics
s = json.load(open(sys.argv[1])); out = sys.argv[2]
lg, sp = s["long"], s["spikes"]
rss = [tuple(map(int, l.split(","))) for l in open(os.path.join(out, "rss.csv")).read().split()[1:]]
after = [r for t, r in rss if t >= 60]
print(f"run: {lg['duration_s']:.0f} s, {lg['frames']} frames ({lg['frames'] / max(lg['duration_s'], 1):.1f} frames/s)")
if after:
    print(f"RSS after the first minute: min {min(after) / 1024:.1f} MiB, max {max(after) / 1024:.1f} MiB, "
          f"last {after[-1] / 1024:.1f} MiB ({len(after)} samples)")
print(f"recorder memory: {lg['memory_bytes'] / 2**20:.1f} MiB")
d = os.path.dirname(sys.argv[1])
for f in ("summary.json", "report.html"):
    p = os.path.join(d, f)
    if os.path.exists(p):
        print(f"{f}: {os.path.getsize(p) / 2**20:.2f} MiB")
o = lg["overhead"]
print(f"op hooks, measured over the run: {o.get('pct')}% (noise +/-{o.get('noise_pct')}%, "
      f"{o['pairs']} pairs; estimate {o.get('estimated_pct')}%)")
print(f"/proc sampler: {lg['host']['cost_pct']}% of one core")
print(f"spikes: {sp['count']}; {sp['text']}; culprit: {sp['culprit']['kind'] if sp['culprit'] else None}")
rounds = open(os.path.join(out, "rounds.txt")).read().split("\n")
off = [float(l.split()[3]) for l in rounds if l.startswith("round") and l.split()[3] != "images/s,"]
on = [float(l.split()[6]) for l in rounds if l.startswith("round") and l.split()[6] != "images/s"]
if off and on:
    print(f"throughput: off {statistics.median(off):.1f}, long {statistics.median(on):.1f} images/s "
          f"(long costs {100 * (1 - statistics.median(on) / statistics.median(off)):.1f}%)")
PY
echo "results in $OUT"
