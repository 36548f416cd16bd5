#!/usr/bin/env bash
# What the GPU check's decode phase carries to the device machine (issue 20), which has no FFmpeg
# libraries: the video fixtures as Annex B elementary streams, which NVDEC's own parser reads
# without a demuxer, and a few frames of the H.264 fixture decoded here by the CPU decoder
# (OpenCV's, as yolo uses it) as the reference for the NVDEC + letterbox check.
#   vtest.h264, vtest.h265, clip_1080p.h264   stream copies (ffmpeg -c copy -bsf:v *_mp4toannexb)
#   vtest_h264_ref.npy                         uint8 BGR [6, 576, 768, 3]: frames 0, 10, ..., 50
#   main10.h265                                5 frames of 10-bit H.265 (256x192), which the NV12
#                                              path refuses as unsupported
#   include/ffnvcodec/                         nv-codec-headers (Debian libffmpeg-nvenc-dev), which
#                                              the GPU machine lacks; NVDEC's loader is built from them
# Usage: scripts/make_device_video.sh [DIR] (default .device/video). About 12 MiB in all.
# Needs Debian's ffmpeg, python3-opencv and libffmpeg-nvenc-dev (scripts/setup.sh installs them). Exit 0: written;
# 1: a tool failed.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-.device/video}
FIX=tests/fixtures/video
mkdir -p "$DIR"
ffmpeg -v error -y -i "$FIX/vtest_h264.mp4" -c copy -bsf:v h264_mp4toannexb -f h264 "$DIR/vtest.h264"
ffmpeg -v error -y -i "$FIX/vtest_h265.mp4" -c copy -bsf:v hevc_mp4toannexb -f hevc "$DIR/vtest.h265"
ffmpeg -v error -y -i "$FIX/clip_1080p_h264.mp4" -c copy -bsf:v h264_mp4toannexb -f h264 \
  "$DIR/clip_1080p.h264"
ffmpeg -v error -y -i "$FIX/vtest_h264.mp4" -frames:v 5 -vf scale=256:192 -c:v libx265 \
  -pix_fmt yuv420p10le -x265-params log-level=error -f hevc "$DIR/main10.h265"
/usr/bin/python3 - "$FIX/vtest_h264.mp4" "$DIR/vtest_h264_ref.npy" <<'PY'
import sys
import cv2
import numpy as np
cap = cv2.VideoCapture(sys.argv[1])
frames = []
for i in range(51):
    ok, f = cap.read()
    if not ok:
        sys.exit(f"{sys.argv[1]}: ends at frame {i}")
    if i % 10 == 0:
        frames.append(f)
np.save(sys.argv[2], np.stack(frames))
PY
mkdir -p "$DIR/include"
cp -r /usr/include/ffnvcodec "$DIR/include/"
ls -l "$DIR"
