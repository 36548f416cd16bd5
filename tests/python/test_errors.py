"""Bad arguments raise ValueError with the yolo command's own message, closest-key suggestion
included; a missing model or source raises FileNotFoundError naming it; a model that cannot be
used raises RuntimeError naming it."""

import pytest


@pytest.fixture(scope="module")
def small(yoloscope):
    return yoloscope.YOLO("yolov8n.yaml", imgsz=64)


def test_unknown_key_suggests_the_closest(small):
    with pytest.raises(ValueError) as info:
        small.predict("synthetic", imgsiz=320)
    # Word for word what `yolo predict imgsiz=320` says.
    assert str(info.value) == ("'imgsiz' is not a valid YoloScope argument. Similar arguments "
                               "are i.e. ['imgsz=640'].")


def test_bad_value_has_the_cli_message(small):
    with pytest.raises(ValueError, match="conf") as info:
        small.predict("synthetic", conf=1.5)
    assert "1.5" in str(info.value)
    with pytest.raises(ValueError, match="imgsz"):
        small.predict("synthetic", imgsz="big")


def test_refused_ultralytics_key(small):
    with pytest.raises(ValueError, match="augment"):
        small.predict("synthetic", augment=True)


def test_bad_constructor_key(yoloscope):
    with pytest.raises(ValueError, match="devise"):
        yoloscope.YOLO("yolov8n.yaml", devise="cpu")


def test_missing_model_names_it(yoloscope, tmp_path):
    missing = tmp_path / "nowhere.onnx"
    with pytest.raises(FileNotFoundError, match="nowhere.onnx"):
        yoloscope.YOLO(str(missing))


def test_pytorch_file_is_a_runtime_error(yoloscope):
    with pytest.raises(RuntimeError, match="yolov8n.pt"):
        yoloscope.YOLO("yolov8n.pt")


def test_corrupt_model_names_it(yoloscope, tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a protobuf at all")
    with pytest.raises(RuntimeError, match="broken.onnx"):
        yoloscope.YOLO(str(bad))


def test_missing_source_names_it(small, tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.jpg"):
        small.predict(str(tmp_path / "absent.jpg"))
    with pytest.raises(FileNotFoundError, match="absent.jpg"):
        small.predict(str(tmp_path / "absent.jpg"), stream=True)


def test_unsupported_source_type(small):
    with pytest.raises(ValueError, match="dict"):
        small.predict({"not": "a source"})


def test_model_works_after_errors(small):
    assert len(small.predict("synthetic", frames=2, verbose=False)) == 2
