"""profile=True writes the yolo command's report, and model.profile gives its summary with the
report's path and the advisor's findings."""

import json
from pathlib import Path

from conftest import shared_path


def test_profile_writes_the_report(yoloscope, tmp_path):
    model = yoloscope.YOLO("yolov8n.yaml", imgsz=128)
    assert model.profile is None
    results = model.predict("synthetic", profile=True, profile_schedule=[1, 1, 4, 1],
                            project=str(tmp_path), name="run", verbose=False)
    assert len(results) == 6  # wait + warmup + active frames of the schedule, as the CLI reads
    p = model.profile
    assert p is not None
    report = Path(p["report_path"])
    assert report.is_file() and report.name == "report.html"
    assert report.parent == tmp_path / "run" / "profile"
    for name in ("summary.json", "trace.json", "layers.csv"):
        assert (report.parent / name).is_file(), name
    on_disk = json.loads((report.parent / "summary.json").read_text())
    assert p["advice"] == on_disk["advice"]
    assert isinstance(p["advice"], list)
    for finding in p["advice"]:
        assert {"id", "finding", "fix"} <= set(finding)
    assert p["frames"] == on_disk["frames"]


def test_profile_of_images(yoloscope, tmp_path):
    model = yoloscope.YOLO(str(shared_path("models/yolov8n-coco.onnx")))
    images = sorted(str(p) for p in shared_path("data/images").iterdir())
    model(images, profile=True, project=str(tmp_path), verbose=False)
    assert Path(model.profile["report_path"]).is_file()
