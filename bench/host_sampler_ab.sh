#!/usr/bin/env bash
# The /proc host sampler's cost on the real long run (issue 15): the same profile_detail=long run
# of the synthetic source with profile_host=True and profile_host=False, in pairs whose order
# alternates (ABBA) so that drifting load from other processes hits both alike. Prints each
# pair's throughput and the sampler's cost, then the median and range over the pairs, the
# sampler's own CPU figure (long.host.cost_pct) and the load average before and after.
#
#   bench/host_sampler_ab.sh [pairs=6] [round_s=20] [imgsz=160] [out=DIR]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
YOLO="${YS_YOLO:-$ROOT/build/yolo}"
PAIRS=6
ROUND_S=20
IMGSZ=160
OUT="$(mktemp -d /tmp/ys_host_ab.XXXXXX)"
for a in "$@"; do
  case "$a" in
    pairs=*) PAIRS="${a#*=}" ;;
    round_s=*) ROUND_S="${a#*=}" ;;
    imgsz=*) IMGSZ="${a#*=}" ;;
    out=*) OUT="${a#*=}" ;;
    -h | --help)
      sed -n '2,9p' "$0"
      exit 0
      ;;
    *)
      echo "host_sampler_ab.sh: unknown argument '$a' (see --help)" >&2
      exit 2
      ;;
  esac
done
[[ -x "$YOLO" ]] || {
  echo "host_sampler_ab.sh: no yolo binary at $YOLO (build it, or set YS_YOLO)" >&2
  exit 2
}
mkdir -p "$OUT"
cd "$OUT"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # $1: True|False; prints images/s
  "$YOLO" predict model=yolov8n source=synthetic "imgsz=$IMGSZ" save=False verbose=False \
    exist_ok=True project="$OUT/runs" "name=host_$1" profile=True profile_detail=long \
    "profile_duration=$ROUND_S" "profile_host=$1" >"host_$1.txt" 2>&1
  sed -n 's/^Throughput: .* images in .* s, \([0-9.]*\) images\/s$/\1/p' "host_$1.txt"
}
: >pairs.txt
for ((p = 1; p <= PAIRS; p++)); do
  if ((p % 2)); then
    off=$(run False)
    on=$(run True)
  else
    on=$(run True)
    off=$(run False)
  fi
  cost=$(python3 -c "print(f'{100 * ($off - $on) / $off:+.2f}')")
  echo "pair $p: profile_host=False $off, True $on images/s: sampler costs $cost%" | tee -a pairs.txt
done
python3 - "$OUT" <<'PY'
import json, statistics, sys, re
out = sys.argv[1]
costs = sorted(float(re.search(r"costs ([-+0-9.]+)%", l).group(1)) for l in open(f"{out}/pairs.txt"))
host = json.load(open(f"{out}/runs/host_True/profile/summary.json"))["long"]["host"]
print(f"A/B over {len(costs)} pairs: median {statistics.median(costs):+.2f}%, "
      f"range {costs[0]:+.2f}% .. {costs[-1]:+.2f}%; sampler thread CPU (last run) "
      f"{host.get('cost_pct', float('nan')):.2f}% of one core")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
