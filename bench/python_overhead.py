#!/usr/bin/python3
"""What the Python API costs per frame over the yolo command: the same model, source and frames
through `build/yolo predict` (its Throughput line: frames over the wall time of the frame loop,
start-up excluded) and through `yoloscope.YOLO.predict(stream=True)` (the wall time from the
predict call to its last Results, after the model is loaded and warmed up), interleaved round
by round so that machine noise hits both alike. Two workloads: a tiny model (yolov8n.yaml at
imgsz=64 on synthetic frames), where the difference is nearly all overhead, and YOLOv8n on
vtest.avi, the cost in proportion to a real frame.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--rounds 3] [--frames 300]

Prints a markdown table: median per-frame milliseconds of each side, their difference, the CPU
time of the Python thread per frame (what Python adds, free of the machine's noise), and each
round's figures (C++ / Python), so that a round that other load slowed is visible.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("YOLOSCOPE_TESTDATA", ROOT.parent / "shared"))


def cli_ms(yolo, model, source, frames, extra):
    out = subprocess.run(
        [str(yolo), "predict", f"model={model}", f"source={source}", f"frames={frames}",
         "save=False", "verbose=False", *extra],
        check=True, capture_output=True, text=True).stdout
    m = re.search(r"Throughput: (\d+) images in ([\d.]+) s", out)
    if not m:
        sys.exit(f"python_overhead: no Throughput line in yolo's output:\n{out}")
    return float(m.group(2)) * 1000 / int(m.group(1))


def python_ms(model, source, frames, kwargs):
    """Wall ms per frame, and the CPU ms per frame of the Python thread itself (building the
    Results, taking batches; detection runs on the run's own thread and is not in it)."""
    t0, c0 = time.perf_counter(), time.thread_time()
    n = 0
    for _ in model.predict(source, stream=True, verbose=False, frames=frames, **kwargs):
        n += 1
    return (time.perf_counter() - t0) * 1000 / n, (time.thread_time() - c0) * 1000 / n, n


def main():
    import yoloscope

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--yolo", default=str(ROOT / "build" / "yolo"))
    a = ap.parse_args()
    workloads = [("yolov8n.yaml imgsz=64, synthetic", "yolov8n.yaml", "synthetic",
                  {"imgsz": 64, "threads": 1})]
    video = SHARED / "data/video/vtest.avi"
    coco = SHARED / "models/yolov8n-coco.onnx"
    if video.exists() and coco.exists():
        # Every 8th frame: about 100 of the 795, the same on both sides.
        workloads.append(("YOLOv8n, vtest.avi (vid_stride=8)", str(coco), str(video),
                          {"threads": 1, "vid_stride": 8}))
    print("| workload | frames | yolo (C++) ms/frame | Python ms/frame | Python - C++ | Python thread CPU ms/frame | rounds, C++ / Python |")
    print("|---|---|---|---|---|---|---|")
    for title, model_path, source, kwargs in workloads:
        frames = a.frames
        extra = [f"{k}={v}" for k, v in kwargs.items()]
        # vid_stride is a predict keyword; the rest are the model's.
        model = yoloscope.YOLO(model_path, **{k: v for k, v in kwargs.items() if k != "vid_stride"})
        c, p, cpu = [], [], []
        for _ in range(a.rounds):
            c.append(cli_ms(a.yolo, model_path, source, frames, extra))
            wall, own, frames_run = python_ms(model, source, frames,
                                  {k: v for k, v in kwargs.items() if k == "vid_stride"})
            p.append(wall)
            cpu.append(own)
        cm, pm = statistics.median(c), statistics.median(p)
        rounds = "; ".join(f"{x:.2f} / {y:.2f}" for x, y in zip(c, p))
        print(f"| {title} | {frames_run} | {cm:.3f} | {pm:.3f} | {pm - cm:+.3f} | "
              f"{statistics.median(cpu):.3f} | {rounds} |", flush=True)


if __name__ == "__main__":
    main()
