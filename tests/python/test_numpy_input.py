"""A NumPy image, as cv2.imread gives it, detects exactly as its file does; arrays the pipeline
cannot view are copied once, and arrays it cannot read are refused with the input named."""

import numpy as np
import pytest

from conftest import shared_path

cv2 = pytest.importorskip("cv2", reason="python3-opencv is not installed")


def test_imread_array_equals_path(coco_model):
    path = str(shared_path("data/images/messi5.jpg"))
    by_path = coco_model(path, verbose=False)[0]
    image = cv2.imread(path)
    by_array = coco_model(image, verbose=False)[0]
    assert by_array.path == "image0.jpg"
    assert by_array.orig_img is image, "the caller's own array comes back (no copy)"
    np.testing.assert_array_equal(by_array.boxes.data, by_path.boxes.data)


def test_non_contiguous_array_is_copied_once_and_gives_the_same(coco_model):
    image = cv2.imread(str(shared_path("data/images/fruits.jpg")))
    padded = np.zeros((image.shape[0], image.shape[1] + 7, 3), np.uint8)
    padded[:, :image.shape[1]] = image
    view = padded[:, :image.shape[1]]
    assert not view.flags["C_CONTIGUOUS"]
    a = coco_model(image, verbose=False)[0]
    b = coco_model(view, verbose=False)[0]
    np.testing.assert_array_equal(a.boxes.data, b.boxes.data)


def test_list_of_arrays_and_paths(coco_model):
    path = str(shared_path("data/images/messi5.jpg"))
    image = cv2.imread(path)
    results = coco_model([image, path, image], verbose=False)
    assert [r.path for r in results] == ["image0.jpg", path, "image1.jpg"]
    np.testing.assert_array_equal(results[0].boxes.data, results[1].boxes.data)


@pytest.mark.parametrize("array,words", [
    (np.zeros((64, 64, 3), np.float32), "dtype float32"),
    (np.zeros((64, 64), np.uint8), "shape (64, 64)"),
    (np.zeros((0, 64, 3), np.uint8), "empty image"),
])
def test_unreadable_arrays_raise_value_error(yoloscope, array, words):
    model = yoloscope.YOLO("yolov8n.yaml", imgsz=64)
    with pytest.raises(ValueError, match="image0.jpg") as info:
        model(array, verbose=False)
    assert words in str(info.value)
