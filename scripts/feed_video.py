#!/usr/bin/env python3
"""Decodes a video with OpenCV and writes its frames to standard output as raw bgr24, in order:
how video reaches a `yolo` built without OpenCV (the GPU machine, ../shared/NOTES.md), the way
`ffmpeg -f rawvideo -pix_fmt bgr24 -` feeds video tools:

    scripts/feed_video.py vtest.avi --workers 2 | yolo detect predict source=- raw_size=768x576 ...

With one worker, decoding and writing run on two threads (OpenCV and the write both release the
GIL), so the pipe's copy does not add to the decoder's time. With --workers N, N processes share
the work without seeking (which in an MPEG-4 stream decodes from the previous key frame, up to
250 frames back in vtest.avi): each decodes every frame, as inter-frame coding requires, but
converts to BGR and hands over only the chunks of --chunk frames whose number modulo N is its
own. The conversion and copy are about a third of a frame's cost, so two workers give about 1.4
times one. Frames wait in a shared-memory ring of two chunks per worker, which bounds how far the
decoder runs ahead of the reader. A summary goes to standard error.
"""
import argparse
import fcntl
import queue
import sys
import threading
import time
from multiprocessing import get_context, shared_memory

import cv2

F_SETPIPE_SZ = 1031  # fcntl.h; not every Python exposes it
SLOTS = 2  # ring chunks per worker


def decode_share(path, worker, workers, chunk, limit, shm_name, frame_bytes, free, full):
    """Worker `worker` of `workers`: puts its chunks into its ring slots and reports each on
    `full` as (chunk index, frames); ends with (-1, 0)."""
    cv2.setNumThreads(1)
    shm = shared_memory.SharedMemory(name=shm_name)
    try:
        cap = cv2.VideoCapture(path)
        frame_no, index = 0, 0
        while limit == 0 or frame_no < limit:
            mine = (frame_no // chunk) % workers == worker
            if not mine:
                if not cap.grab():
                    break
                frame_no += 1
                continue
            if frame_no % chunk == 0:
                slot = free.get()  # wait for the reader to finish with this slot
                got = 0
            ok, frame = cap.read()
            if not ok or frame.nbytes != frame_bytes:
                break
            at = ((worker * SLOTS + slot) * chunk + got) * frame_bytes
            shm.buf[at : at + frame_bytes] = frame.reshape(-1).data
            got += 1
            frame_no += 1
            if got == chunk or frame_no == limit:
                full.put((index * workers + worker, slot, got))
                index += 1
        if frame_no % chunk != 0 and (frame_no // chunk) % workers == worker:
            full.put((index * workers + worker, slot, got))  # a partial last chunk
        full.put((-1, 0, 0))
    finally:
        shm.close()


def parallel(path, workers, chunk, limit, frame_bytes):
    """Yields frames in order as memoryviews, each valid until the next is asked for."""
    ctx = get_context("fork")
    shm = shared_memory.SharedMemory(create=True, size=workers * SLOTS * chunk * frame_bytes)
    free = [ctx.Queue() for _ in range(workers)]
    full = [ctx.Queue() for _ in range(workers)]
    for w in range(workers):
        for slot in range(SLOTS):
            free[w].put(slot)
    procs = [ctx.Process(target=decode_share, daemon=True,
                         args=(path, w, workers, chunk, limit, shm.name, frame_bytes, free[w],
                               full[w])) for w in range(workers)]
    for p in procs:
        p.start()
    try:
        expected = 0
        while True:
            w = expected % workers
            index, slot, got = full[w].get()
            if index != expected:  # that worker ran out of frames: the video has ended
                return
            base = (w * SLOTS + slot) * chunk * frame_bytes
            for k in range(got):
                view = shm.buf[base + k * frame_bytes : base + (k + 1) * frame_bytes]
                yield view
                view.release()  # the segment cannot be unmapped while a view is out
            free[w].put(slot)
            if got < chunk:
                return
            expected += 1
    finally:
        for p in procs:
            p.terminate()
        shm.close()
        shm.unlink()


def sequential(cap, limit):
    """Yields frames as one process decodes them, on a thread of its own."""
    frames = queue.Queue(maxsize=4)

    def decode():
        n = 0
        while limit == 0 or n < limit:
            ok, frame = cap.read()
            if not ok:
                break
            frames.put(frame)
            n += 1
        frames.put(None)

    threading.Thread(target=decode, daemon=True).start()
    while (frame := frames.get()) is not None:
        yield frame.reshape(-1).data


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("video")
    ap.add_argument("--frames", type=int, default=0, help="stop after this many (0: all)")
    ap.add_argument("--workers", type=int, default=1, help="decoding processes")
    ap.add_argument("--chunk", type=int, default=8, help="frames a worker converts in a row")
    args = ap.parse_args()
    cap = cv2.VideoCapture(args.video)
    if not cap.isOpened():
        sys.exit(f"feed_video: {args.video}: cannot be opened by OpenCV")
    frame_bytes = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) * int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) * 3

    out = sys.stdout.buffer
    try:
        fcntl.fcntl(out.fileno(), F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pass  # not a pipe, or a lower limit: the default buffer works, with more wake-ups
    if args.workers > 1:
        cap.release()
        frames = parallel(args.video, args.workers, max(1, args.chunk), args.frames, frame_bytes)
    else:
        frames = sequential(cap, args.frames)
    t0 = time.perf_counter()
    n = 0
    try:
        for f in frames:
            out.write(f)
            n += 1
        out.flush()
    except BrokenPipeError:
        # The reader stopped early (an error, Ctrl-C); what it read is its own.
        print(f"feed_video: the reader closed the pipe after {n} frames", file=sys.stderr)
        return 1
    dt = time.perf_counter() - t0
    print(f"feed_video: {n} frames from {args.video}, {args.workers} decoding process(es), "
          f"{dt:.2f} s, {n / max(dt, 1e-9):.0f} frames/s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
