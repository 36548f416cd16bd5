#!/usr/bin/env bash
# Every GPU check and benchmark of the CUDA backend in one run, for one device call:
#   configure and build without OpenCV and oneDNN (the GPU machine has neither), run the CUDA
#   tests (FP32 raw output vs ONNX Runtime within 1e-3 relative; FP16 detections vs ONNX Runtime;
#   CUDA-graph replay vs eager; out-of-memory message), then time YOLOv8n 640x640 on our backend and
#   on the PyTorch peer (bench/torch_peer.py, the same ONNX graph, eager and CUDA graph).
# Inputs (carried in .device/, see docs/GPU.md): onnx/{include,lib} (Debian's ONNX headers and
# libonnx_proto.so), prefix/ (nlohmann-json, GoogleTest, OpenSSL headers), shared/ (the model and
# reference outputs), commit.txt. Logs and a summary go to $OUT (or ./gpu-check-out).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEV=${YS_DEVICE_DIR:-$ROOT/.device}
OUT=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUT"
LOG=$OUT/gpu_check.log
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
exec > >(tee -a "$LOG") 2>&1

say() { echo "$*" | tee -a "$SUMMARY"; }
say "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit: $(cat "$DEV/commit.txt" 2>/dev/null || git rev-parse HEAD 2>/dev/null || echo unknown)"
say "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
say "nvcc: $(nvcc --version 2>/dev/null | tail -1)"

NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
extra=()
for lib in libcrypto.so.3 libssl.so.3; do
  f=/usr/lib/x86_64-linux-gnu/$lib
  [ -e /usr/include/openssl/ssl.h ] || [ ! -e "$f" ] ||
    extra+=("-DOPENSSL_$( [ $lib = libssl.so.3 ] && echo SSL || echo CRYPTO )_LIBRARY=$f")
done
[ -e /usr/include/openssl/ssl.h ] || extra+=("-DOPENSSL_INCLUDE_DIR=$DEV/prefix/include")

BUILD=$ROOT/build-gpu
cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DYS_WITH_OPENCV=OFF \
  -DYS_WITH_ONEDNN=OFF -DYS_ONNX_ROOT="$DEV/onnx" -DCMAKE_PREFIX_PATH="$DEV/prefix" \
  -DCMAKE_CUDA_COMPILER="$NVCC" "${extra[@]}" || { say "FAIL: configure"; exit 1; }
cmake --build "$BUILD" -j "$(nproc)" --target backend_cuda_test yolo_bench_gpu ||
  { say "FAIL: build"; exit 1; }

export YOLOSCOPE_TESTDATA=$DEV/shared
MODEL=$DEV/shared/models/yolov8n-coco.onnx
IN=$DEV/shared/reference/ort/messi5_input_u8.npy
REF=$DEV/shared/reference/ort/messi5_output0.npy

"$BUILD/tests/backends/cuda/backend_cuda_test" 2>&1 | grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) ' | tee -a "$SUMMARY"
tests_rc=${PIPESTATUS[0]}
say "tests: rc=$tests_rc"

B=$BUILD/bench/yolo_bench_gpu
run() { say "$("$@" 2>&1 | tail -1)"; }
run "$B" model="$MODEL" input="$IN" reference="$REF" batch=1 half=0 graph=1 iterations=200
run "$B" model="$MODEL" input="$IN" reference="$REF" batch=1 half=1 graph=0 iterations=300
run "$B" model="$MODEL" input="$IN" reference="$REF" batch=1 half=1 graph=1 iterations=300
# Batch 32: the COCO export has batch 1 baked into its Reshape constants, so both sides run the
# built-in YOLOv8n (same layers, synthetic weights) at batch 32, exported for the peer.
B32=$BUILD/yolov8n_b32.onnx
run "$B" model=yolov8n.yaml batch=32 half=1 graph=1 iterations=50 export="$B32"
run "$B" model=yolov8n.yaml batch=32 half=1 graph=0 iterations=50
# Where batch-32 time goes, eager, by op type and implementation.
"$B" model=yolov8n.yaml batch=32 half=1 graph=0 warmup=3 iterations=5 profile=1 2>&1 |
  grep '^profile' >"$OUT/profile_b32.txt"
head -12 "$OUT/profile_b32.txt" | tee -a "$SUMMARY"
"$B" model="$MODEL" input="$IN" batch=1 half=1 graph=0 warmup=3 iterations=5 profile=1 2>&1 |
  grep '^profile' >"$OUT/profile_b1.txt"

export PYTHONUNBUFFERED=1
peer() { python3 "$ROOT/bench/torch_peer.py" "$@" 2>&1 | grep -E "torch_peer|Error" | tee -a "$SUMMARY"; }
peer "$MODEL" --half --batch 1 --iterations 300 --input "$IN" --reference "$REF"
peer "$MODEL" --batch 1 --iterations 100 --input "$IN" --reference "$REF"
peer "$B32" --half --batch 32 --iterations 50
# End to end through the yolo command: the device has no OpenCV, so Python's cv2 decodes the video
# and pipes raw BGR frames in, the way ffmpeg -f rawvideo would (NOTES.md).
VIDEO=$DEV/shared/data/video/vtest.avi
if cmake --build "$BUILD" -j "$(nproc)" --target yolo >/dev/null 2>&1 && [ -e "$VIDEO" ]; then
  decode() {
    python3 -c "
import sys, cv2
cap = cv2.VideoCapture(sys.argv[1]); out = sys.stdout.buffer
while True:
    ok, f = cap.read()
    if not ok: break
    out.write(f.tobytes())
" "$VIDEO"
  }
  for half in False True; do
    t0=$(date +%s.%N)
    decode | "$BUILD/yolo" detect predict model="$MODEL" source=- raw_size=768x576 device=0 half=$half \
      save=False verbose=False profile=True profile_schedule=5,10,200 project="$OUT/runs" name=e2e_half_$half \
      >"$OUT/e2e_half_$half.txt" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    say "e2e half=$half rc=$rc wall=$(python3 -c "print(round($t1 - $t0, 2))") s for 795 frames (decode in Python included)"
    grep -E "^Speed|median latency|Stages|Model:|overhead" "$OUT/e2e_half_$half.txt" | tee -a "$SUMMARY"
  done
else
  say "e2e: yolo did not build here or the video is missing"
fi
nvidia-smi --query-gpu=clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee -a "$SUMMARY"
exit "$tests_rc"
