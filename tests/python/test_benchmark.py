"""model.benchmark() is `yolo benchmark`: the same benchmark file, which `yolo compare` reads."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_returns_and_writes_the_file(yoloscope, tmp_path):
    model = yoloscope.YOLO("yolov8n.yaml", imgsz=64, threads=1)
    out = tmp_path / "benchmark.json"
    record = model.benchmark(frames=8, out=str(out))
    assert record["schema"].startswith("yoloscope-benchmark")
    assert record == json.loads(out.read_text())
    stages = record["stages"]
    assert stages, "no stage was measured"
    yolo = Path(os.environ.get("YOLOSCOPE_YOLO", ROOT / "build" / "yolo"))
    if not yolo.exists():
        pytest.skip(f"{yolo} is not built: the file is not checked against yolo compare")
    compared = subprocess.run([str(yolo), "compare", f"baseline={out}", f"current={out}"],
                              capture_output=True, text=True)
    assert compared.returncode == 0, compared.stdout + compared.stderr


def test_benchmark_keys_are_checked(yoloscope):
    model = yoloscope.YOLO("yolov8n.yaml", imgsz=64)
    with pytest.raises(ValueError, match="frames"):
        model.benchmark(frames=0)
