#!/usr/bin/env bash
# Regenerates the video fixtures of tests/fixtures/video/ (issue 20) from ../shared's vtest.avi
# (768x576, 10 frames/s, 795 frames, MS-MPEG-4 v3 "DivX 3", which NVDEC cannot decode) with
# Debian's ffmpeg (libx264, libx265):
#   vtest_h264.mp4   all 795 frames, H.264 High, CRF 30         (~1.9 MB)
#   vtest_h265.mp4   all 795 frames, H.265 Main, CRF 32, hvc1  (~1.4 MB)
#   clip_1080p_h264.mp4  the first 120 frames scaled to 1920x1080 (aspect not kept: the point is
#                        the decoder's load, not the picture), H.264 High, CRF 30 (~0.8 MB)
# and, from those, raw Annex B elementary streams for the reader that needs no demuxer:
#   vtest_30.h264, vtest_30.h265  the first 30 packets of the MP4s, stream copies (~120, ~90 KB)
#   odd_cqm.264       5 frames at 98x62 (cropped), 25 frames/s, x264's JVT scaling matrices (~2 KB)
#   main10_66x50.hevc 5 frames at 66x50 (conformance window), 10-bit Main 10 (~3 KB)
# The encoders run with fixed thread counts so that a rerun on another machine gives the same
# frame count and codec settings; the bytes may still differ between ffmpeg builds, which is why
# the files are committed rather than made at test time.
#
#   scripts/make_test_videos.sh [OUTPUT_DIR]     (default tests/fixtures/video)
#   YOLOSCOPE_TESTDATA=DIR  where vtest.avi is looked for (DIR/data/video/vtest.avi; default
#                           ../shared beside the checkout)
# Exit 0: made; 1: ffmpeg failed; 2: ffmpeg or vtest.avi missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/tests/fixtures/video}"
DATA="${YOLOSCOPE_TESTDATA:-$ROOT/../shared}"
SRC="$DATA/data/video/vtest.avi"

if ! command -v ffmpeg >/dev/null; then
  echo "make_test_videos: ffmpeg not found (apt-get install ffmpeg)" >&2
  exit 2
fi
if [[ ! -r "$SRC" ]]; then
  echo "make_test_videos: $SRC not found: the shared test data (../shared) is absent;" \
    "set YOLOSCOPE_TESTDATA to the folder holding data/video/vtest.avi" >&2
  exit 2
fi
mkdir -p "$OUT"

# -bitexact and -map_metadata -1 keep ffmpeg's version string and dates out of the files.
COMMON=(-v error -y -i "$SRC" -an -map_metadata -1 -pix_fmt yuv420p -movflags +faststart
        -fflags +bitexact -flags:v +bitexact)
run() {
  echo "make_test_videos: ${*: -1}"
  ffmpeg "$@" || { echo "make_test_videos: ffmpeg failed making ${*: -1}" >&2; exit 1; }
}
run "${COMMON[@]}" -c:v libx264 -preset medium -crf 30 -threads 2 "$OUT/vtest_h264.mp4"
run "${COMMON[@]}" -c:v libx265 -preset medium -crf 32 -tag:v hvc1 \
  -x265-params log-level=error:pools=2 "$OUT/vtest_h265.mp4"
run "${COMMON[@]}" -frames:v 120 -vf scale=1920:1080:flags=bicubic -c:v libx264 -preset medium \
  -crf 30 -threads 2 "$OUT/clip_1080p_h264.mp4"
FIX="$OUT"
run -v error -y -i "$FIX/vtest_h264.mp4" -frames:v 30 -c copy -bsf:v h264_mp4toannexb -f h264 \
  "$OUT/vtest_30.h264"
run -v error -y -i "$FIX/vtest_h265.mp4" -frames:v 30 -c copy -bsf:v hevc_mp4toannexb -f hevc \
  "$OUT/vtest_30.h265"
run -v error -y -i "$SRC" -frames:v 5 -vf scale=98:62 -r 25 -pix_fmt yuv420p -c:v libx264 \
  -threads 1 -x264-params cqm=jvt:log-level=error -fflags +bitexact -f h264 "$OUT/odd_cqm.264"
run -v error -y -i "$SRC" -frames:v 5 -vf scale=66:50 -pix_fmt yuv420p10le -c:v libx265 \
  -x265-params log-level=error:pools=1 -fflags +bitexact -f hevc "$OUT/main10_66x50.hevc"
ls -l "$OUT"
