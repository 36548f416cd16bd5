#!/usr/bin/python3
"""Detect objects with YoloScope from Python, the way Ultralytics users write it.

    examples/detect.py [MODEL] [SOURCE]

MODEL defaults to ../shared/models/yolov8n-coco.onnx when present (else the built-in yolov8n.yaml,
whose synthetic weights detect nothing meaningful); SOURCE to ../shared/data/images/messi5.jpg.
Prints each image's detections, saves the annotated image in runs/, then
profiles a short run and prints the advisor's first finding.
"""

import sys
from pathlib import Path

import cv2

from yoloscope import YOLO

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def main() -> None:
    default_model = SHARED / "models/yolov8n-coco.onnx"
    model_path = sys.argv[1] if len(sys.argv) > 1 else (
        str(default_model) if default_model.exists() else "yolov8n.yaml")
    source = sys.argv[2] if len(sys.argv) > 2 else str(SHARED / "data/images/messi5.jpg")

    model = YOLO(model_path)
    for r in model.predict(source, conf=0.3, verbose=False):
        print(f"{r.path}: {r.verbose()} in {r.speed['inference']:.1f} ms")
        for (x1, y1, x2, y2), conf, cls in zip(r.boxes.xyxy, r.boxes.conf, r.boxes.cls):
            print(f"  {r.names[int(cls)]:>12} {conf:.2f}  [{x1:.0f}, {y1:.0f}, {x2:.0f}, {y2:.0f}]")
        out = Path("runs") / (Path(r.path).stem + "_detected.jpg")
        out.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(out), r.plot())
        print(f"  annotated image: {out}")

    # A NumPy image as OpenCV reads it goes in without a copy.
    image = cv2.imread(source) if Path(source).is_file() else None
    if image is not None:
        print(f"array input: {model(image, verbose=False)[0].verbose()}")

    # The profiler is one keyword away; its report is the yolo command's.
    model.predict("synthetic", frames=30, profile=True, profile_schedule=[2, 3, 25, 1],
                  verbose=False)
    print(f"profile report: {model.profile['report_path']}")
    for finding in model.profile["advice"][:1]:
        print(f"advice: {finding['finding']} -> {finding['fix']}")


if __name__ == "__main__":
    main()
