#!/usr/bin/env bash
# The main job: set up and build (scripts/setup.sh), then run detection with YoloScope's `yolo`
# command. Every argument goes to `yolo detect predict` unchanged, Ultralytics-style:
#
#   scripts/run.sh model=../shared/models/yolov8n-coco.onnx source=../shared/data/images/messi5.jpg
#   scripts/run.sh model=... source=video.avi profile=True
#
# Setup's messages go to standard error, so standard output carries only the command's output.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" >&2

YOLO="$ROOT/build/yolo"
if [[ ! -x "$YOLO" ]]; then
  echo "run.sh: $YOLO was not built (is the cli target part of this checkout?)" >&2
  exit 1
fi
exec "$YOLO" detect predict "$@"
