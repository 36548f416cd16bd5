"""Shared fixtures of the yoloscope tests: the package (skipped with a message when the module
was not built) and ../shared's model, images, video and Ultralytics reference (skipped with a
message when ../shared is absent; YOLOSCOPE_TESTDATA points elsewhere)."""

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = Path(os.environ.get("YOLOSCOPE_TESTDATA", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def yoloscope():
    try:
        import yoloscope as module
    except ImportError as e:
        pytest.skip(f"the yoloscope module is not built or not on the path ({e}); scripts/setup.sh "
                    "builds it when python3-pybind11 is installed")
    return module


def shared_path(relative: str) -> Path:
    path = TESTDATA / relative
    if not path.exists():
        pytest.skip(f"test data {path} is absent (../shared beside the checkout, or "
                    "YOLOSCOPE_TESTDATA)")
    return path


@pytest.fixture(scope="session")
def coco_model(yoloscope):
    return yoloscope.YOLO(str(shared_path("models/yolov8n-coco.onnx")))


@pytest.fixture(scope="session")
def reference():
    with open(shared_path("reference/ultralytics_onnx_predictions.json"), encoding="utf-8") as f:
        return json.load(f)
