#!/usr/bin/env bash
# Issue 17's false-alarm check: N A/A comparisons (the same build and configuration benchmarked
# twice) at a threshold, counting those with any regression verdict. Prints one line per pair
# (load, the names called a regression) and the total. docs/PERFORMANCE.md records the results.
#
#   bench/compare_false_alarms.sh [files|ab] [N] [extra yolo keys...]
#     files  two separate `yolo benchmark` runs compared with `yolo compare` (default)
#     ab     one `yolo compare a=... b=...` run, both sides alternating frames, paired
#   Environment: YOLO (default build/yolo), THRESHOLD (0.05), LEVEL (layer).
set -uo pipefail
MODE=${1:-files}
N=${2:-20}
shift $(($# > 2 ? 2 : $#))
YOLO=${YOLO:-build/yolo}
THRESHOLD=${THRESHOLD:-0.05}
LEVEL=${LEVEL:-layer}
WORK=(model=yolov8n.yaml imgsz=320 threads=1 frames=40 verbose=False "$@")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
alarms=0
for i in $(seq 1 "$N"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [[ $MODE == ab ]]; then
    out=$("$YOLO" compare a="threads=1" b="threads=1" imgsz=320 frames=40 threshold="$THRESHOLD" \
          level="$LEVEL" format=json 2>/dev/null)
  else
    "$YOLO" benchmark "${WORK[@]}" out="$TMP/a.json" >/dev/null 2>&1 &&
      "$YOLO" benchmark "${WORK[@]}" out="$TMP/b.json" >/dev/null 2>&1 || { echo "benchmark failed"; exit 1; }
    out=$("$YOLO" compare baseline="$TMP/a.json" current="$TMP/b.json" threshold="$THRESHOLD" \
          level="$LEVEL" format=json 2>/dev/null)
  fi
  called=$(python3 -c 'import json,sys
text = sys.stdin.read()
d = json.loads(text[text.index("{"):])  # after the A/B description lines
print(" ".join(m["name"] for m in d["metrics"] if m["verdict"] == "regression"))' <<<"$out")
  [[ -n "$called" ]] && alarms=$((alarms + 1))
  printf '%2d load %5s  %s\n' "$i" "$load" "${called:-no regression}"
done
echo "$MODE: $alarms of $N A/A comparisons gave a regression verdict (threshold $THRESHOLD, level $LEVEL)"
