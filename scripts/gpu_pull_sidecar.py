#!/usr/bin/env python3
"""A planted GPU fault for scripts/gpu_check.sh's long-run phase: like a metrics exporter that
pulls device data, it copies a large device buffer to pageable host memory (a synchronous
device-to-host copy) on a fixed period, on the same GPU as yolo, until killed. Prints its pid.

With --compute-ms it also keeps the GPU busy that long after each pull (large matrix products),
like an exporter that then reduces what it pulled on the device: the GPU time-slices that work
with yolo's. A pull alone, in another process, did not slow yolo on an H200 (2026-12-05): its copy
engines took the copy beside yolo's small transfers.

Usage: gpu_pull_sidecar.py [--period S] [--mib N] [--compute-ms MS] [--device N]
(needs PyTorch with CUDA)
"""
import argparse
import os
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--period", type=float, default=5.0, help="seconds between pulls")
    p.add_argument("--mib", type=int, default=1024, help="size of each pull")
    p.add_argument("--compute-ms", type=float, default=0.0, help="GPU work after each pull")
    p.add_argument("--device", type=int, default=0)
    a = p.parse_args()
    try:
        import torch
    except ImportError:
        print("gpu_pull_sidecar: PyTorch is not installed", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("gpu_pull_sidecar: no CUDA device", file=sys.stderr)
        return 2
    buf = torch.ones(a.mib << 20, dtype=torch.uint8, device=f"cuda:{a.device}")
    print(f"gpu_pull_sidecar pid {os.getpid()}", flush=True)
    nxt = time.monotonic() + a.period
    while True:
        time.sleep(max(0.0, nxt - time.monotonic()))
        t0 = time.monotonic()
        host = buf.cpu()  # pageable destination: a synchronous copy
        pulled_ms = 1e3 * (time.monotonic() - t0)
        t1 = time.monotonic()
        while 1e3 * (time.monotonic() - t1) < a.compute_ms:
            m = torch.ones(4096, 4096, device=buf.device)
            for _ in range(8):
                m = m @ m / 4096
            torch.cuda.synchronize(buf.device)
        print(f"pulled {host.numel() >> 20} MiB in {pulled_ms:.1f} ms, then "
              f"{1e3 * (time.monotonic() - t1):.1f} ms of GPU work", flush=True)
        nxt += a.period


if __name__ == "__main__":
    sys.exit(main())
