#!/usr/bin/env bash
# The scrape-under-load benchmark (issue 16): does /metrics slow inference? Runs the same
# `yolo predict metrics=True` without scrapes and with 100 scrapes a second (bench/scraper.py, one
# keep-alive connection, as a Prometheus with a 10 ms interval), in interleaved rounds so that the
# machine's drifting load hits both alike, and prints each run's throughput and mean inference
# from yolo's own Throughput and Speed lines, then the median of each round's scraped/none ratio
# against the
# spread of the rounds' ratios (the noise).
#
#   bench/scrape_bench.sh [frames=1500] [rounds=5] [rate=100] [imgsz=320] [threads=1] [device=cpu]
#
# Needs build/yolo (YS_BENCH_BUILD_DIR=DIR takes DIR/yolo) and python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRAMES=1500
ROUNDS=5
RATE=100
IMGSZ=320
THREADS=1
DEVICE=cpu
for a in "$@"; do
  case "$a" in
    frames=*) FRAMES="${a#*=}" ;;
    rounds=*) ROUNDS="${a#*=}" ;;
    rate=*) RATE="${a#*=}" ;;
    imgsz=*) IMGSZ="${a#*=}" ;;
    threads=*) THREADS="${a#*=}" ;;
    device=*) DEVICE="${a#*=}" ;;
    *) echo "scrape_bench.sh: unknown argument '$a' (frames= rounds= rate= imgsz= threads= device=)" >&2; exit 2 ;;
  esac
done
YOLO="$ROOT/${YS_BENCH_BUILD_DIR:-build}/yolo"
[[ -x "$YOLO" ]] || { echo "scrape_bench.sh: $YOLO is missing (cmake --build build --target yolo)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "scrape_bench.sh: python3 is needed" >&2; exit 2; }

WORK="$(mktemp -d)"
SCRAPER_PID=""
cleanup() { [[ -n "$SCRAPER_PID" ]] && kill "$SCRAPER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

# One run; prints "images_per_s inference_ms scrapes".
run_once() {
  local scrape=$1 out="$WORK/out.txt" scrapes=0
  if [[ $scrape == 1 ]]; then
    python3 "$ROOT/bench/scraper.py" "http://127.0.0.1:$PORT/metrics" "$RATE" > "$WORK/scraper.txt" &
    SCRAPER_PID=$!
  fi
  (cd "$WORK" && "$YOLO" detect predict source=synthetic frames="$FRAMES" imgsz="$IMGSZ" \
     threads="$THREADS" device="$DEVICE" save=False verbose=False metrics=True port="$PORT" > "$out" 2>&1) ||
    { echo "scrape_bench.sh: yolo failed:" >&2; cat "$out" >&2; exit 1; }
  if [[ $scrape == 1 ]]; then
    kill -TERM "$SCRAPER_PID"; wait "$SCRAPER_PID" || true; SCRAPER_PID=""
    scrapes="$(awk '{print $2 "(" $4 "ms)"}' "$WORK/scraper.txt")"
  fi
  local ips inf
  ips="$(sed -nE 's/^Throughput: .* s, ([0-9.]+) images\/s.*/\1/p' "$out")"
  inf="$(sed -nE 's/^Speed: [0-9.]+ms preprocess, ([0-9.]+)ms inference.*/\1/p' "$out")"
  echo "$ips $inf $scrapes"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "scrape_bench: $FRAMES frames, imgsz=$IMGSZ threads=$THREADS device=$DEVICE, $ROUNDS rounds, $RATE scrapes/s"
printf '%-6s %-10s %12s %14s %16s\n' round scrapes images/s inference_ms answered
: > "$WORK/none.txt"; : > "$WORK/scraped.txt"
for ((r = 1; r <= ROUNDS; ++r)); do
  # Alternate which kind goes first, so that a trend over the rounds favours neither.
  if ((r % 2)); then order="0 1"; else order="1 0"; fi
  for s in $order; do
    read -r ips inf n < <(run_once "$s")
    if [[ $s == 1 ]]; then echo "$ips $inf" >> "$WORK/scraped.txt"; kind="$RATE/s"; else echo "$ips $inf" >> "$WORK/none.txt"; kind=none; fi
    printf '%-6s %-10s %12s %14s %16s\n' "$r" "$kind" "$ips" "$inf" "${n:-0}"
  done
done
# Each round's two runs are a pair: their ratio cancels the machine's drift between rounds, which
# on a shared machine is larger than any effect sought here.
paste "$WORK/none.txt" "$WORK/scraped.txt" | awk '{print $3/$1, $4/$2}' > "$WORK/ratios.txt"
r_ips="$(awk '{print $1}' "$WORK/ratios.txt" | median)"; r_inf="$(awk '{print $2}' "$WORK/ratios.txt" | median)"
# Noise: how far the rounds' throughput ratios lie from their median (median absolute deviation).
noise="$(awk -v m="$r_ips" '{d=$1-m; print (d<0?-d:d)}' "$WORK/ratios.txt" | median)"
awk -v a="$r_ips" -v b="$r_inf" -v z="$noise" 'BEGIN {
  printf "paired   scraped/none: throughput %+.1f %%, mean inference %+.1f %% (medians of the rounds'"'"' ratios)\n", 100*(a-1), 100*(b-1)
  printf "noise    median absolute deviation of the throughput ratios: %.1f %%\n", 100*z
}'
