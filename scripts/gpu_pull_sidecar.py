#!/usr/bin/env python3
"""A planted GPU fault for scripts/gpu_check.sh's long-run phase: like a metrics exporter that
pulls device data, it copies a large device buffer to pageable host memory (a synchronous
device-to-host copy) on a fixed period, on the same GPU as yolo, until killed. Prints its pid.

Usage: gpu_pull_sidecar.py [--period S] [--mib N] [--device N]  (needs PyTorch with CUDA)
"""
import argparse
import os
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--period", type=float, default=5.0, help="seconds between pulls")
    p.add_argument("--mib", type=int, default=1024, help="size of each pull")
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
        print(f"pulled {host.numel() >> 20} MiB in {1e3 * (time.monotonic() - t0):.1f} ms", flush=True)
        nxt += a.period


if __name__ == "__main__":
    sys.exit(main())
