"""Ctrl+C interrupts a long predict cleanly: KeyboardInterrupt reaches the caller within moments
(the run is stopped, its thread joined), and the model predicts again afterwards. YoloScope
installs no SIGINT handler of its own in Python: the signal stays Python's."""

import os
import signal
import subprocess
import sys
import time

CHILD = r"""
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job starts ignoring it
import yoloscope
model = yoloscope.YOLO("yolov8n.yaml", imgsz=64, threads=1)
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
print("ready", flush=True)
try:
    for _ in model.predict("synthetic", frames=10_000_000, stream=True, verbose=False):
        pass
except KeyboardInterrupt:
    print("interrupted", flush=True)
n = len(model.predict("synthetic", frames=2, verbose=False))
print(f"again {n}", flush=True)
"""


def test_ctrl_c_stops_a_long_predict(yoloscope):
    env = dict(os.environ)
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True,
                             env=env)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.0)  # frames are flowing
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        assert child.stdout.readline().strip() == "interrupted"
        latency = time.perf_counter() - sent
        assert child.stdout.readline().strip() == "again 2"
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
    # Generous: a 2-core machine shared with compilers; the wait itself checks every 50 ms.
    assert latency < 10, f"KeyboardInterrupt took {latency:.1f} s"
