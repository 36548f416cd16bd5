#!/usr/bin/env python3
"""Compares the detections of two runs of the same video (issue 20: decoder=nvdec against the CPU
decoder), from the predictions.json that save_json=True writes, frame by frame:

    scripts/compare_predictions.py nvdec/predictions.json cpu/predictions.json [--conf 0.25]
        [--px 2] [--margin 0.05] [--first 60]

Boxes of the same class are paired by IoU (greedy, highest first, at least 0.5). A paired box
passes when every corner is within --px pixels. A box on one side only is "marginal" when its
score is within --margin of --conf (a gray level's difference in decoding moves it across the
threshold) and a mismatch otherwise. It prints one summary line and PASS or FAIL: FAIL for a
mismatch, a paired box beyond --px, or frames missing on one side. Exit 0: PASS; 1: FAIL; 2: a
file cannot be read.
"""
import argparse
import json
import sys


def load(path):
    try:
        with open(path) as f:
            rows = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"compare_predictions: {path}: {e}")
    return {r["frame"]: r["detections"] for r in rows}


def iou(a, b):
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    h = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = w * h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return inter / union if union > 0 else 0.0


def corners(d):
    b = d["box"]
    return (b["x1"], b["y1"], b["x2"], b["y2"])


def pair(a, b):
    """Greedy pairs (i, j) of same-class boxes by IoU >= 0.5, and the unpaired of each side."""
    cand = sorted(((iou(corners(x), corners(y)), i, j) for i, x in enumerate(a)
                   for j, y in enumerate(b) if x["class"] == y["class"]), reverse=True)
    used_a, used_b, pairs = set(), set(), []
    for v, i, j in cand:
        if v < 0.5 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((i, j))
    return (pairs, [x for i, x in enumerate(a) if i not in used_a],
            [y for j, y in enumerate(b) if j not in used_b])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--px", type=float, default=2.0)
    ap.add_argument("--margin", type=float, default=0.05)
    ap.add_argument("--first", type=int, default=60)
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    frames = sorted(set(a) & set(b))
    missing = len(set(a) ^ set(b))
    same = same_first = paired = marginal = mismatched = 0
    worst = 0.0
    first = frames[:args.first]
    for f in frames:
        pairs, only_a, only_b = pair(a[f], b[f])
        paired += len(pairs)
        for i, j in pairs:
            worst = max(worst, max(abs(p - q) for p, q in zip(corners(a[f][i]), corners(b[f][j]))))
        for d in only_a + only_b:
            if d["confidence"] < args.conf + args.margin:
                marginal += 1
            else:
                mismatched += 1
        equal = not only_a and not only_b
        same += equal
        same_first += equal and f in first
    ok = mismatched == 0 and worst <= args.px and missing == 0 and frames
    print(f"compare_predictions: {len(frames)} frames in both ({missing} on one side only); "
          f"{same} with the same boxes and classes ({same_first} of the first {len(first)}); "
          f"{paired} boxes paired, corners within {worst:.2f} px (bound {args.px}); "
          f"{marginal} marginal (score < conf + {args.margin}), {mismatched} unpaired above it: "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
