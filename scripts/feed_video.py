#!/usr/bin/env python3
"""Decodes a video with OpenCV and writes its frames to standard output as raw bgr24, in order:
how video reaches a `yolo` built without OpenCV (the GPU machine, ../shared/NOTES.md), the way
`ffmpeg -f rawvideo -pix_fmt bgr24 -` feeds video tools:

    scripts/feed_video.py vtest.avi | yolo detect predict source=- raw_size=768x576 ...

Decoding and writing run on two threads (OpenCV and the write both release the GIL), so the
pipe's copy does not add to the decoder's time. Decoding in several processes would not pay
here: seeking into an MPEG-4 stream decodes from the previous key frame, which in vtest.avi is
up to 250 frames back. A summary goes to standard error.
"""
import argparse
import fcntl
import queue
import sys
import threading
import time

import cv2

F_SETPIPE_SZ = 1031  # fcntl.h; not every Python exposes it
DONE = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("video")
    ap.add_argument("--frames", type=int, default=0, help="stop after this many (0: all)")
    ap.add_argument("--ahead", type=int, default=4, help="decoded frames waiting to be written")
    args = ap.parse_args()
    cap = cv2.VideoCapture(args.video)
    if not cap.isOpened():
        sys.exit(f"feed_video: {args.video}: cannot be opened by OpenCV")

    out = sys.stdout.buffer
    try:
        fcntl.fcntl(out.fileno(), F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pass  # not a pipe, or a lower limit: the default buffer works, with more wake-ups
    frames = queue.Queue(maxsize=max(1, args.ahead))
    written = [0]
    broken = threading.Event()

    def write():
        while (frame := frames.get()) is not DONE:
            if broken.is_set():
                continue
            try:
                out.write(frame.data)
                written[0] += 1
            except BrokenPipeError:
                broken.set()  # the reader stopped early (an error, Ctrl-C); what it read is its own
        try:
            out.flush()
        except BrokenPipeError:
            broken.set()

    writer = threading.Thread(target=write)
    writer.start()
    t0 = time.perf_counter()
    decoded = 0
    try:
        while not broken.is_set() and (args.frames == 0 or decoded < args.frames):
            ok, frame = cap.read()
            if not ok:
                break
            frames.put(frame)
            decoded += 1
    finally:
        frames.put(DONE)
        writer.join()
    dt = time.perf_counter() - t0
    if broken.is_set():
        print(f"feed_video: the reader closed the pipe after {written[0]} frames", file=sys.stderr)
        return 1
    print(f"feed_video: {written[0]} frames from {args.video}, {dt:.2f} s, "
          f"{written[0] / max(dt, 1e-9):.0f} frames/s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
