"""Two Python threads with two models detect at once: the GIL is released while they detect.
The wall time of two threads against one is measured and printed (docs/PERFORMANCE.md records
it); speed is not asserted. Asserted: both threads finish with the same detections as one."""

import threading
import time

import numpy as np

from conftest import shared_path

FRAMES = 20


def run(model, out, key):
    out[key] = model.predict(str(shared_path("data/video/vtest.avi")), stream=True, verbose=False)
    out[key] = [r.boxes.data for _, r in zip(range(FRAMES), out[key])]


def test_two_threads_two_models(yoloscope, capsys):
    path = str(shared_path("models/yolov8n-coco.onnx"))
    # threads=1 each, so that two models on two cores could run side by side.
    a = yoloscope.YOLO(path, threads=1)
    b = yoloscope.YOLO(path, threads=1)
    out = {}
    t0 = time.perf_counter()
    run(a, out, "alone")
    one = time.perf_counter() - t0

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(m, out, k)) for m, k in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    two = time.perf_counter() - t0
    for key in ("a", "b"):
        assert len(out[key]) == FRAMES
        for x, y in zip(out[key], out["alone"]):
            np.testing.assert_array_equal(x, y)
    with capsys.disabled():
        print(f"\n[yoloscope threads] {FRAMES} frames: one thread {one:.2f} s; two threads with "
              f"two models, {2 * FRAMES} frames: {two:.2f} s; ratio {two / one:.2f} "
              "(1.0: fully concurrent, 2.0: serialised)")
