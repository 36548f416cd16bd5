#!/usr/bin/env bash
# Every GPU check and benchmark in one run, for one device call (docs/GPU.md):
#   build   configure and build without OpenCV and oneDNN (the GPU machine has neither);
#   tests   the CUDA backend, GPU pre/post-processing and GPU profiler tests (FP32 raw output vs
#           ONNX Runtime within 1e-3 relative, FP16 detections, graph replay vs eager, letterbox
#           and NMS on the GPU vs the host, per-layer events and CUPTI attribution);
#   bench   YOLOv8n 640x640 latency and throughput beside the PyTorch peer (bench/torch_peer.py,
#           the same ONNX graph, eager and CUDA graph);
#   profile `yolo ... profile=True` on vtest.avi in events and detailed mode, the advisor's
#           FP32/eager findings with what-if gains and their absence once taken; checked by
#           scripts/check_gpu_profile.py; short detailed traces become CI fixtures;
#   e2e     end to end on all 795 video frames: the decoder alone, the host pipeline against the
#           GPU pipeline, with one to three decoding processes and one or two streams, and where
#           a frame's time goes.
#   startup a one-frame run four times: empty cache, hit (goal <= 1 s), damaged file (rebuilt), hit
#           again (issue 19.3; unproven, docs/GPU.md)
#   long    profile_detail=long planted faults (issue 15): a sidecar process pulling a 1 GiB
#           device buffer to pageable memory every 5 s (scripts/gpu_pull_sidecar.py) must be found
#           every 5 s (within 10%) and blamed device_pcie or device_other_process; the same pull
#           inside our own process (YS_TEST_GPU_PULL) must be blamed own_gpu. Both runs' flight
#           records must hold CUPTI kernels with their layers, and our own pull's a DtoH copy of
#           >= 512 MiB (unproven so far, docs/GPU.md).
#   devices several GPUs (issue 21; the nvidia-h200-x2 kind, skipped with fewer than two GPUs):
#           yolo checks lists both; batch-32 throughput on device=0,1 against device=0 (goal
#           >= 1.9x); detections on device=0,1 identical to device=0; end to end on the video
#           (goal >= 1.8x, or the profile names the bound); a profile with both devices, each
#           with frames, NVML figures and batch latency, the balance, and a lane per device.
#   decode  NVDEC (issue 20, docs/GPU.md): builds backend_nvdec_test and yolo with the
#           nv-codec-headers carried in .device/video/include and runs the test on the Annex B
#           streams there (scripts/make_device_video.sh; no FFmpeg needed): frames decoded,
#           frames/s of NVDEC alone, of decode + letterbox and of decode + letterbox + FP16
#           detection; MAE against CPU-decoded reference frames and their detections (same count
#           and classes, boxes within 2 px). Then `yolo decoder=nvdec` end to end on the same
#           streams (raw Annex B needs no demuxer): frames/s file to last result at batch 1 and 8,
#           H.265, 1080p, a profile of where the time goes, and the detections on every vtest
#           frame against the CPU decoder's (OpenCV in Python piping the same stream in).
# Usage: scripts/gpu_check.sh [phase ...] (default: all, in that order).
# Inputs (carried in .device/, see docs/GPU.md): onnx/{include,lib} (Debian's ONNX headers and
# libonnx_proto.so), prefix/ (nlohmann-json, GoogleTest, OpenSSL headers), shared/ (the model,
# reference outputs and the video), commit.txt. Logs, a summary and runs.tar.gz (every run's
# profile) go to $OUT (or ./gpu-check-out).
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
# libcurl (report sharing): the machine has the library (CMake links it) but maybe no headers.
if [ ! -e /usr/include/curl/curl.h ] && [ ! -e /usr/include/x86_64-linux-gnu/curl/curl.h ]; then
  curl_so=$(ls /usr/lib/x86_64-linux-gnu/libcurl.so.4 /usr/lib64/libcurl.so.4 2>/dev/null | head -1)
  [ -n "$curl_so" ] && extra+=("-DCURL_INCLUDE_DIR=$DEV/prefix/include" "-DCURL_LIBRARY=$curl_so")
fi

BUILD=$ROOT/build-gpu
PHASES=${*:-build tests bench profile e2e startup long devices decode}
has() { [[ " $PHASES " == *" $1 "* ]]; }

if has build; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DYS_WITH_OPENCV=OFF \
    -DYS_WITH_ONEDNN=OFF -DYS_ONNX_ROOT="$DEV/onnx" -DCMAKE_PREFIX_PATH="$DEV/prefix" \
    -DCMAKE_CUDA_COMPILER="$NVCC" "${extra[@]}" || { say "FAIL: configure"; exit 1; }
  cmake --build "$BUILD" -j "$(nproc)" --target yolo yolo_bench_gpu backend_cuda_test \
    backend_cuda_prepost_test backend_cuda_ops_test backend_ops_test gpu_profiler_test \
    pipeline_detector_test backend_cuda_plan_cache_test -- -k 0 ||
    { say "FAIL: build"; exit 1; }
fi

export YOLOSCOPE_TESTDATA=$DEV/shared
MODEL=$DEV/shared/models/yolov8n-coco.onnx
IN=$DEV/shared/reference/ort/messi5_input_u8.npy
REF=$DEV/shared/reference/ort/messi5_output0.npy
VIDEO=$DEV/shared/data/video/vtest.avi
tests_rc=0
RUNS=${YS_GPU_RUNS:-/tmp/gpu-check-runs}
rm -rf "$RUNS" && mkdir -p "$RUNS"

if has tests; then
  # YS_GPU_TESTS: a subset of these, by file name, when a device call's time is short.
  for t in tests/backends/cuda/backend_cuda_test tests/backends/cuda/backend_cuda_prepost_test \
           tests/backends/cuda/backend_cuda_ops_test tests/backends/backend_ops_test \
           tests/profiler/gpu_profiler_test tests/pipeline/pipeline_detector_test \
           tests/backends/cuda/backend_cuda_plan_cache_test; do
    [[ -z "${YS_GPU_TESTS:-}" || " $YS_GPU_TESTS " == *" $(basename "$t") "* ]] || continue
    [ -x "$BUILD/$t" ] || { say "MISSING: $t"; tests_rc=1; continue; }
    # Brief output: failures in full with their messages, then the counts.
    "$BUILD/$t" --gtest_brief=1 2>&1 | tail -60 | tee -a "$SUMMARY"
    rc=${PIPESTATUS[0]}
    say "tests $(basename "$t"): rc=$rc"
    [ "$rc" = 0 ] || tests_rc=1
  done
fi

B=$BUILD/bench/yolo_bench_gpu
bench() { say "$("$@" 2>&1 | tail -1)"; }
export PYTHONUNBUFFERED=1
peer() { python3 "$ROOT/bench/torch_peer.py" "$@" 2>&1 | grep -E "torch_peer|Error" | tee -a "$SUMMARY"; }
if has bench; then
  bench "$B" model="$MODEL" input="$IN" reference="$REF" batch=1 half=0 graph=1 iterations=200
  bench "$B" model="$MODEL" input="$IN" reference="$REF" batch=1 half=1 graph=0 iterations=300
  bench "$B" model="$MODEL" input="$IN" reference="$REF" batch=1 half=1 graph=1 iterations=300
  # The same without cuDNN's graph-API conv+bias+SiLU fusion (our epilogue kernel instead).
  bench "$B" model="$MODEL" input="$IN" reference="$REF" batch=1 half=1 graph=1 iterations=300 fusion=0
  # cuDNN's first fused engine, untimed, against the default (three timed on the device).
  bench "$B" model="$MODEL" input="$IN" reference="$REF" batch=1 half=1 graph=1 iterations=300 candidates=1
  # Batch 32: the COCO export has batch 1 baked into its Reshape constants, so both sides run the
  # built-in YOLOv8n (same layers, synthetic weights) at batch 32, exported for the peer.
  B32=$BUILD/yolov8n_b32.onnx
  bench "$B" model=yolov8n.yaml batch=32 half=1 graph=1 iterations=50 export="$B32"
  bench "$B" model=yolov8n.yaml batch=32 half=1 graph=0 iterations=50
  bench "$B" model=yolov8n.yaml batch=32 half=1 graph=1 iterations=50 fusion=0
  bench "$B" model=yolov8n.yaml batch=32 half=1 graph=1 iterations=50 candidates=1
  peer "$MODEL" --half --batch 1 --iterations 300 --input "$IN" --reference "$REF"
  peer "$MODEL" --batch 1 --iterations 100 --input "$IN" --reference "$REF"
  peer "$B32" --half --batch 32 --iterations 50
fi

# The device has no OpenCV: Python's cv2 decodes the video and pipes raw BGR frames in, the way
# ffmpeg -f rawvideo would (NOTES.md). $1: frames (0: all); FEED_WORKERS decoding processes.
decode() {
  python3 "$ROOT/scripts/feed_video.py" "$VIDEO" --frames "$1" --workers "${FEED_WORKERS:-1}"
}
yolo_video() {  # name frames args...
  local name=$1 frames=$2; shift 2
  decode "$frames" | "$BUILD/yolo" detect predict model="$MODEL" source=- raw_size=768x576 \
    device=0 save=False verbose=False project="$RUNS" name="$name" exist_ok=True "$@" \
    >"$RUNS/$name.txt" 2>&1
  local rc=$?
  say "$name: rc=$rc ($*)"
  grep -E "^Speed|Stages|GPU|Overhead|overhead|Advice|warning|critical|info " "$RUNS/$name.txt" |
    head -40 | tee -a "$SUMMARY"
}

if has profile; then
  # Issue 6: default (CUDA events) and detailed (CUPTI) profiles, FP16 with a CUDA graph, then
  # detailed and eager; 100 measured frames each, so the overhead pairs are many.
  yolo_video events 130 half=True profile=True profile_schedule=5,10,100
  yolo_video detailed 130 half=True profile=True profile_schedule=5,10,100 profile_detail=detailed
  yolo_video detailed_eager 130 half=True cuda_graph=False profile=True \
    profile_schedule=5,10,100 profile_detail=detailed
  # Short detailed runs whose raw traces become CI fixtures (tests/fixtures/gpu).
  yolo_video fixture_graph 30 half=True profile=True profile_schedule=5,5,6 profile_detail=detailed
  yolo_video fixture_eager 30 half=False cuda_graph=False profile=True profile_schedule=5,5,6 \
    profile_detail=detailed
  # Issue 7: FP32 without a graph must yield the FP16 and CUDA Graph findings with measured gains;
  # taking the advice must make them disappear.
  yolo_video advice_before 80 half=False cuda_graph=False profile=True profile_schedule=5,5,40 \
    profile_whatif=True
  yolo_video advice_after 80 half=True cuda_graph=True profile=True profile_schedule=5,5,40 \
    profile_whatif=True
  python3 "$ROOT/scripts/check_gpu_profile.py" "$RUNS" 2>&1 | tee -a "$SUMMARY"
  [ "${PIPESTATUS[0]}" = 0 ] || tests_rc=1
  # The fixtures under their names in tests/fixtures/gpu.
  cp "$RUNS/fixture_graph/profile/gpu_trace.json" "$OUT/yolov8n_fp16_graph_detailed.json"
  cp "$RUNS/fixture_eager/profile/gpu_trace.json" "$OUT/yolov8n_fp32_eager_detailed.json"
fi

if has e2e; then
  # End to end on all 795 frames: decoding (cv2, in the feeder), letterbox, inference, box decoding,
  # NMS and output. Throughput is yolo's own line, from its first frame read to its last result;
  # the wall time adds model loading, algorithm search and graph capture. First the decoder alone.
  for w in 1 2 3; do
    python3 "$ROOT/scripts/feed_video.py" "$VIDEO" --workers $w 2>&1 >/dev/null |
      sed 's/^/decoder alone, to \/dev\/null: /' | tee -a "$SUMMARY"
  done
  e2e() {  # name feeder-workers args...
    local name=$1; export FEED_WORKERS=$2; shift 2
    t0=$(date +%s.%N)
    yolo_video "$name" 0 half=True "$@"
    t1=$(date +%s.%N)
    say "$name: $(grep -h '^Throughput' "$RUNS/$name.txt"); wall with start-up $(python3 -c "print(round($t1 - $t0, 2))") s; decoder processes $FEED_WORKERS"
  }
  e2e e2e_host_pipeline 2 gpu_pipeline=False
  e2e e2e_gpu_pipeline_decoder1 1 gpu_pipeline=True
  e2e e2e_gpu_pipeline 2 gpu_pipeline=True
  e2e e2e_gpu_pipeline_decoder3 3 gpu_pipeline=True
  # Two detectors on their own streams (the COCO export is fixed at batch 1).
  e2e e2e_gpu_pipeline_streams2 3 gpu_pipeline=True streams=2
  e2e e2e_gpu_pipeline_nofusion 2 gpu_pipeline=True cudnn_fusion=False
  # Where a frame's time goes, from the profile.
  e2e e2e_gpu_pipeline_profiled 2 gpu_pipeline=True profile=True profile_schedule=5,10,200
  unset FEED_WORKERS
fi
if has startup; then
  # Issue 19.3: a one-frame run's wall time (an upper bound of start to first frame) with an empty
  # start-up cache, again with the cache the first run wrote (goal: <= 1 s, and its line says
  # "hit"), then with that file damaged (goal: "unreadable (...), rebuilt") and once more (a hit).
  # Each run's "Start-up:" line (verbose=True) breaks its time to the first result into phases
  # (docs/PROFILE_SCHEMA.md, "startup"); the rest of the wall time is the run after its first
  # result and the process's exit.
  export YOLOSCOPE_CACHE_DIR=$RUNS/startup-cache
  rm -rf "$YOLOSCOPE_CACHE_DIR"
  for run in first second corrupt again; do
    if [ "$run" = corrupt ]; then
      for f in "$YOLOSCOPE_CACHE_DIR"/*.bin; do
        [ -f "$f" ] && printf '\xff' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
      done
    fi
    t0=$(date +%s.%N)
    "$BUILD/yolo" detect predict model="$MODEL" source=synthetic frames=1 device=0 half=True \
      save=False verbose=True >"$RUNS/startup-$run.txt" 2>&1
    rc=$?
    secs=$(python3 -c "import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 2))" \
      "$(date +%s.%N)" "$t0")
    line=$(grep -i "start-up cache" "$RUNS/startup-$run.txt" | head -1)
    case $run in
      first) want="miss, written" ;;
      corrupt) want="rebuilt" ;;
      *) want="hit (" ;;
    esac
    verdict=ok
    [[ "$line" == *"$want"* ]] || verdict="UNEXPECTED (want '$want')"
    goal=""
    if [ "$run" = second ] || [ "$run" = again ]; then
      goal=$(python3 -c "import sys; print('PASS' if float(sys.argv[1]) <= 1.0 else 'MISS')" \
        "$secs")
      goal=" goal <= 1 s: $goal"
    fi
    say "startup $run: rc=$rc ${secs} s$goal; cache line $verdict: ${line:-none}"
    phases=$(grep "^Start-up: " "$RUNS/startup-$run.txt" | head -1)
    say "startup $run phases: ${phases:-MISSING (no Start-up line)}"
    if [ -n "$phases" ]; then
      # The goal is to the first frame: the line's own figure, process start to first result.
      say "startup $run timeline: $(python3 -c "
import sys
first = float(sys.argv[2].split()[1]) / 1e3
verdict = ('PASS' if first <= 1.0 else 'MISS') if sys.argv[3] in ('second', 'again') else 'n/a'
print(f'{first:.3f} s to the first result (goal <= 1 s: {verdict}), '
      f'{float(sys.argv[1]) - first:.3f} s after it (rest of the run, teardown, exit)')" \
        "$secs" "$phases" "$run")"
    fi
  done
  say "startup cache files: $(ls "$YOLOSCOPE_CACHE_DIR" 2>/dev/null | wc -l)" \
    "($(du -sh "$YOLOSCOPE_CACHE_DIR" 2>/dev/null | cut -f1))"
  unset YOLOSCOPE_CACHE_DIR
fi
if has long; then
  # Issue 15: a minute of the synthetic source each (YS_LONG_SECONDS); the checker reads
  # summary.json's spikes.
  long_run() {  # name expected-kinds args...
    local name=$1 kinds=$2; shift 2
    "$BUILD/yolo" detect predict model="$MODEL" source=synthetic device=0 half=True save=False \
      verbose=False project="$RUNS" name="$name" exist_ok=True profile=True profile_detail=long \
      profile_duration="${YS_LONG_SECONDS:-60}" "$@" >"$RUNS/$name.txt" 2>&1
    say "$name: rc=$? ($*)"
    grep -E "Spikes|Culprit" "$RUNS/$name.txt" | tee -a "$SUMMARY"
    python3 - "$RUNS/$name/profile/summary.json" "$kinds" <<'PY' 2>&1 | tee -a "$SUMMARY"
import json, sys
s = json.load(open(sys.argv[1]))["spikes"]
kind = (s.get("culprit") or {}).get("kind")
at5 = s["periodic"] and abs(s["period_s"] - 5.0) <= 0.5
ok = not at5 if sys.argv[2] == "clean" else at5 and kind in sys.argv[2].split(",")
print(("PASS" if ok else "FAIL") + f": period {s['period_s']} s, culprit {kind}, {s['text']}")
sys.exit(0 if ok else 1)
PY
    [ "${PIPESTATUS[0]}" = 0 ] || tests_rc=1
  }
  # The flight records' GPU part (CUPTI in armed frames, docs/GPU.md): some flight frame has
  # kernels, nearly all with a layer; with our own pull, a device-to-host copy of >= 512 MiB.
  long_flight_gpu() {  # name own-pull(0/1)
    python3 - "$RUNS/$1/profile/summary.json" "$2" <<'PY' 2>&1 | tee -a "$SUMMARY"
import json, sys
lg = json.load(open(sys.argv[1]))["long"]
gk = lg.get("gpu_kernels") or {}
frames = [f for r in lg.get("flight", []) for f in r["frames"] if f.get("gpu")]
kernels = [k for f in frames for k in f["gpu"]["kernels"]]
named = sum(1 for k in kernels if k.get("layer"))
pulls = [c for f in frames for c in f["gpu"]["copies"]
         if c["direction"] == "DtoH" and c["bytes"] >= 512 << 20]
ok = bool(kernels) and named >= 0.9 * len(kernels) and (sys.argv[2] == "0" or bool(pulls))
print(("PASS" if ok else "FAIL") + f": flight gpu: {len(frames)} traced flight frames, "
      f"{len(kernels)} kernels, {named} with a layer, {len(pulls)} DtoH pulls >= 512 MiB; "
      f"traced frames {gk.get('traced_frames')}, armed period {gk.get('armed_period_s')} s, "
      f"ring {gk.get('ring')}, why {gk.get('why')}")
sys.exit(0 if ok else 1)
PY
    [ "${PIPESTATUS[0]}" = 0 ] || tests_rc=1
  }
  python3 "$ROOT/scripts/gpu_pull_sidecar.py" --period 5 --mib 1024 --compute-ms 100 \
    >"$RUNS/gpu_pull_sidecar.txt" 2>&1 &
  sidecar=$!
  sleep 3
  long_run long_sidecar_pull device_pcie,device_other_process
  long_flight_gpu long_sidecar_pull 0
  kill "$sidecar" 2>/dev/null
  wait "$sidecar" 2>/dev/null
  tail -5 "$RUNS/gpu_pull_sidecar.txt" | sed 's/^/sidecar: /' | tee -a "$SUMMARY"
  export YS_TEST_GPU_PULL=5:1024
  long_run long_own_pull own_gpu
  long_flight_gpu long_own_pull 1
  unset YS_TEST_GPU_PULL
  long_run long_clean clean  # nothing planted: no period at 5 s
fi
if has devices && [ "$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ')" -ge 2 ]; then
  "$BUILD/yolo" checks 2>&1 | grep -E "GPU" | tee -a "$SUMMARY"
  # Batch 32 on the built-in YOLOv8n (the COCO export is fixed at batch 1), synthetic frames, no
  # output: the same run on one GPU and on two; yolo's Throughput line is from first read to last.
  thr() {  # name device
    "$BUILD/yolo" detect predict model=yolov8n.yaml source=synthetic frames=6400 batch=32 \
      half=True device="$2" save=False verbose=False >"$RUNS/$1.txt" 2>&1
    say "$1: rc=$? $(grep -hE '^(Throughput|Devices|Advice)' "$RUNS/$1.txt" | tr '\n' ' ')"
    grep -h '^Throughput' "$RUNS/$1.txt" | sed -E 's/.* ([0-9.]+) images\/s.*/\1/'
  }
  one=$(thr devices_b32_one 0 | tail -1)
  two=$(thr devices_b32_two 0,1 | tail -1)
  python3 -c "import sys; r = float('$two') / float('$one'); print(('PASS' if r >= 1.9 else 'FAIL') + f': two GPUs {r:.2f}x one at batch 32 (goal 1.9x)'); sys.exit(r < 1.9)" 2>&1 |
    tee -a "$SUMMARY" || tests_rc=1
  # Identical detections: the COCO model on the shared images, labels with confidences.
  for d in 0 0,1; do
    "$BUILD/yolo" detect predict model="$MODEL" source="$DEV/shared/data/images" device="$d" \
      half=True save=False save_txt=True save_conf=True project="$RUNS" name="devices_txt_${d/,/_}" \
      exist_ok=True verbose=False >"$RUNS/devices_txt_${d/,/_}.txt" 2>&1
  done
  if diff -r "$RUNS/devices_txt_0/labels" "$RUNS/devices_txt_0_1/labels" >/dev/null; then
    say "PASS: detections on device=0,1 identical to device=0"
  else
    say "FAIL: detections on device=0,1 differ from device=0"; tests_rc=1
  fi
  # End to end on the H.264 test video (decoded on the host, fed on a pipe): goal >= 1.8x one GPU,
  # or the profile below names what bounds it (the feeder, an imbalance, a device).
  e2e() {  # name device
    yolo_video "$1" 600 half=True device="$2"
    grep -h '^Throughput' "$RUNS/$1.txt" | sed -E 's/.* ([0-9.]+) images\/s.*/\1/'
  }
  one=$(e2e devices_e2e_one 0 | tail -1)
  two=$(e2e devices_e2e_two 0,1 | tail -1)
  python3 -c "import sys; r = float('$two') / float('$one'); print(('PASS' if r >= 1.8 else 'BOUND') + f': end to end two GPUs {r:.2f}x one (goal 1.8x, else the profile names the bound)')" 2>&1 |
    tee -a "$SUMMARY"
  # A profile of two GPUs (schema: docs/PROFILE_SCHEMA.md, "devices" and "device_balance"): both
  # devices with frames adding up to the run's, NVML's utilisation, memory and SM clock for each,
  # the balance, and a timeline process per device; the console's device lines and advice.
  yolo_video devices_profiled 600 half=True device=0,1 profile=True profile_schedule=5,10,400
  grep -E "^  Device|^  Devices|devices\." "$RUNS/devices_profiled.txt" | tee -a "$SUMMARY"
  python3 - "$RUNS/devices_profiled/profile" <<'PY' 2>&1 | tee -a "$SUMMARY" || tests_rc=1
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
t = json.load(open(d + "/trace.json"))
devs = s.get("devices") or []
bal = s.get("device_balance") or {}
procs = {e["args"]["name"] for e in t["traceEvents"] if e.get("name") == "process_name"}
checks = {
    "both devices": sorted(x.get("device") for x in devs) == ["0", "1"],
    "frames add up": sum(x.get("frames", 0) for x in devs) == s["run"]["frames_total"],
    "each device ran": all(x.get("frames", 0) > 0 and not x.get("failed") for x in devs),
    "NVML per device": all(x.get(k) is not None for x in devs
                           for k in ("utilization_pct", "memory_used_max_bytes", "sm_clock_mhz")),
    "batch latency": all((x.get("batch_latency_ms") or {}).get("count", 0) > 0 for x in devs),
    "balance": bal.get("frame_imbalance_pct") is not None,
    "lanes": {"Device 0", "Device 1"} <= procs,
}
for x in devs:
    print(f"  device {x['device']}: {x['frames']} frames, busy {x['busy_pct']}%, util "
          f"{x['utilization_pct']}%, SM {x['sm_clock_mhz']} MHz, batch p50 "
          f"{(x['batch_latency_ms'] or {}).get('median')} ms, NUMA node {x.get('numa_node')}")
print(f"  balance: {bal}")
bad = [k for k, ok in checks.items() if not ok]
print(("FAIL: profile of two devices: " + ", ".join(bad)) if bad else "PASS: profile of two devices")
sys.exit(bool(bad))
PY
fi
if has decode; then
  # NVDEC's loader is built from nv-codec-headers, which this machine lacks; they come with the
  # Annex B streams and the CPU reference frames in .device/video. Without FFmpeg here the demuxer
  # is not built: the test feeds NVDEC's own parser, and yolo reads the raw streams itself.
  VID=$DEV/video
  if [ -d "$VID/include/ffnvcodec" ]; then
    { cmake -S "$ROOT" -B "$BUILD" -DYS_FFNVCODEC_INCLUDE="$VID/include" >/dev/null &&
        cmake --build "$BUILD" -j "$(nproc)" --target backend_nvdec_test yolo; } ||
      { say "FAIL: build backend_nvdec_test and yolo with NVDEC"; tests_rc=1; }
  fi
  t=$BUILD/tests/backends/cuda/backend_nvdec_test
  if [ -x "$t" ] && [ -f "$VID/vtest.h264" ]; then
    YS_DEVICE_VIDEO=$VID "$t" 2>&1 |
      grep -E "^NVDEC|^SKIP|OK \]|SKIPPED \]|FAILED|Failure|Expected|Which is|not matched" |
      tee -a "$SUMMARY"
    rc=${PIPESTATUS[0]}
    say "tests backend_nvdec_test: rc=$rc"
    [ "$rc" = 0 ] || tests_rc=1
  else
    say "SKIP: decode: backend_nvdec_test or $VID/vtest.h264 missing (carry .device/video: scripts/make_device_video.sh, docs/GPU.md)"
  fi
  # The whole command on the raw streams, which its Annex B reader opens without FFmpeg: the
  # goals (H.264 vtest >= 3,000 frames/s, 1080p >= 1,500) are for this, file to last result
  # (yolo's Throughput line); the wall time adds start-up. Each run must say "decoded by NVDEC".
  nvdec_run() {  # name source args...
    local name=$1 src=$2; shift 2
    local t0 t1 rc
    t0=$(date +%s.%N)
    "$BUILD/yolo" detect predict source="$src" decoder=nvdec device=0 half=True save=False \
      verbose=False project="$RUNS" name="$name" exist_ok=True "$@" >"$RUNS/$name.txt" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    say "$name: rc=$rc ($*) $(grep -h '^Throughput' "$RUNS/$name.txt"); wall with start-up $(python3 -c "print(round($t1 - $t0, 2))") s"
    grep -hiE "^Source|^decoder=|^Speed|Stages|GPU|Advice|warning|error" "$RUNS/$name.txt" |
      head -30 | tee -a "$SUMMARY"
    grep -q "decoded by NVDEC" "$RUNS/$name.txt" || { say "FAIL: $name did not decode on NVDEC"; tests_rc=1; }
    [ "$rc" = 0 ] || tests_rc=1
  }
  if [ -x "$BUILD/yolo" ] && [ -f "$VID/vtest.h264" ]; then
    nvdec_run nvdec_vtest_h264 "$VID/vtest.h264" model="$MODEL"
    # Batch 8: the COCO export is fixed at batch 1, so the built-in YOLOv8n (synthetic weights).
    nvdec_run nvdec_vtest_h264_b8 "$VID/vtest.h264" model=yolov8n.yaml batch=8
    nvdec_run nvdec_vtest_h265 "$VID/vtest.h265" model="$MODEL"
    nvdec_run nvdec_1080p_h264 "$VID/clip_1080p.h264" model="$MODEL"
    nvdec_run nvdec_1080p_h264_b8 "$VID/clip_1080p.h264" model=yolov8n.yaml batch=8
    nvdec_run nvdec_vtest_h264_profiled "$VID/vtest.h264" model="$MODEL" profile=True \
      profile_schedule=5,10,200
    # Detections on all 795 frames against the CPU decoder of the same stream (OpenCV in Python
    # here, piping raw frames in; the same host letterbox as the e2e phase).
    nvdec_run nvdec_vtest_h264_json "$VID/vtest.h264" model="$MODEL" save_json=True
    python3 "$ROOT/scripts/feed_video.py" "$VID/vtest.h264" --workers 2 2>/dev/null |
      "$BUILD/yolo" detect predict model="$MODEL" source=- raw_size=768x576 device=0 half=True \
        save=False verbose=False save_json=True project="$RUNS" name=cpu_vtest_h264_json \
        exist_ok=True >"$RUNS/cpu_vtest_h264_json.txt" 2>&1
    say "cpu_vtest_h264_json: rc=$? $(grep -h '^Throughput' "$RUNS/cpu_vtest_h264_json.txt")"
    python3 "$ROOT/scripts/compare_predictions.py" "$RUNS/nvdec_vtest_h264_json/predictions.json" \
      "$RUNS/cpu_vtest_h264_json/predictions.json" 2>&1 | tee -a "$SUMMARY"
    [ "${PIPESTATUS[0]}" = 0 ] || tests_rc=1
  else
    say "SKIP: decode: yolo decoder=nvdec end to end: $BUILD/yolo or $VID/vtest.h264 missing"
  fi
fi
nvidia-smi --query-gpu=clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee -a "$SUMMARY"
# At most 8 files come back from a device call: every run's output travels as one archive.
tar -C "$RUNS" -czf "$OUT/runs.tar.gz" . 2>/dev/null
exit "$tests_rc"
