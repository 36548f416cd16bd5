"""The Python API gives Ultralytics' detections: on ../shared's images and the first 60 frames of
vtest.avi, the same count and classes, boxes within 1 px, confidences within 0.01 (the C++
DetectorConformance tests hold the same bar)."""

import itertools

import numpy as np
import pytest

from conftest import shared_path


def expect_same(result, expected, what):
    xyxy = result.boxes.xyxy
    conf = result.boxes.conf
    cls = result.boxes.cls.astype(int)
    assert len(result.boxes) == len(expected["xyxy"]), what
    used = np.zeros(len(cls), dtype=bool)
    # Both lists are sorted by confidence and near-ties may swap: each reference box takes the
    # closest unused detection of its class.
    for box, c, cf in zip(expected["xyxy"], expected["cls"], expected["conf"]):
        candidates = [i for i in range(len(cls)) if not used[i] and cls[i] == c]
        assert candidates, f"{what}: no detection of class {c}"
        dist = [np.abs(xyxy[i] - np.array(box)).max() for i in candidates]
        best = candidates[int(np.argmin(dist))]
        used[best] = True
        assert min(dist) <= 1.0, f"{what}: class {c} box is {min(dist):.2f} px off"
        assert abs(conf[best] - cf) <= 0.01, f"{what}: class {c} confidence {conf[best]} vs {cf}"


def test_images_match_ultralytics(coco_model, reference):
    assert len(reference["images"]) == 4
    for name, expected in reference["images"].items():
        path = shared_path(f"data/images/{name}")
        results = coco_model.predict(str(path), verbose=False)
        assert len(results) == 1
        r = results[0]
        assert list(r.orig_shape) == expected["orig_shape"][:2], name
        assert r.path == str(path)
        expect_same(r, expected, name)


def test_first_60_video_frames_match_ultralytics(coco_model, reference):
    video = shared_path("data/video/vtest.avi")
    frames = reference["video"]
    assert len(frames) == 60
    stream = coco_model.predict(str(video), stream=True, verbose=False)
    n = 0
    for k, (r, expected) in enumerate(zip(stream, frames)):
        assert r.kind == "video" and r.frame_index == k
        expect_same(r, expected, f"frame {k}")
        n += 1
    stream.close()  # the rest of the video is not read
    assert n == 60


def test_list_of_images_keeps_its_order(coco_model, reference):
    names = list(reference["images"])
    results = coco_model([str(shared_path(f"data/images/{n}")) for n in names], verbose=False)
    assert [r.path.rsplit("/", 1)[-1] for r in results] == names
    for r, n in zip(results, names):
        expect_same(r, reference["images"][n], n)


def test_results_fields(coco_model, reference):
    r = coco_model(str(shared_path("data/images/messi5.jpg")), verbose=False)[0]
    assert r.names[0] == "person" and len(r.names) == 80
    assert r.boxes.xyxy.shape == (len(r), 4) and r.boxes.xyxy.dtype == np.float32
    np.testing.assert_allclose(r.boxes.xywh[:, 2], r.boxes.xyxy[:, 2] - r.boxes.xyxy[:, 0])
    h, w = r.orig_shape
    np.testing.assert_allclose(r.boxes.xyxyn[:, 2], r.boxes.xyxy[:, 2] / w, rtol=1e-6)
    assert set(r.speed) == {"preprocess", "inference", "postprocess"}
    assert r.speed["inference"] > 0
    plotted = r.plot()
    assert plotted.shape == r.orig_img.shape and plotted.dtype == np.uint8
    assert not np.array_equal(plotted, r.orig_img), "plot() drew nothing"
    js = r.to_json()
    assert '"name": "person"' in js
    assert len(r.summary()) == len(r)


def test_save_txt_writes_the_labels_the_cli_writes(coco_model, tmp_path):
    r = coco_model(str(shared_path("data/images/messi5.jpg")), verbose=False)[0]
    out = tmp_path / "labels" / "messi5.txt"
    r.save_txt(str(out), save_conf=True)
    lines = out.read_text().splitlines()
    assert len(lines) == len(r)
    fields = lines[0].split()
    assert len(fields) == 6
    assert int(fields[0]) == int(r.boxes.cls[0])
    np.testing.assert_allclose([float(v) for v in fields[1:5]], r.boxes.xywhn[0], atol=1e-4)


def test_stream_returns_a_generator(coco_model):
    gen = coco_model.predict(str(shared_path("data/video/vtest.avi")), stream=True, verbose=False)
    assert iter(gen) is gen
    first = list(itertools.islice(gen, 3))
    assert [r.frame_index for r in first] == [0, 1, 2]
    gen.close()
    # The model is free again once the generator is closed.
    assert len(coco_model(str(shared_path("data/images/fruits.jpg")), verbose=False)) == 1


@pytest.mark.parametrize("conf,classes", [(0.5, None), (0.25, [0])])
def test_keywords_reach_the_pipeline(coco_model, conf, classes):
    r = coco_model(str(shared_path("data/images/messi5.jpg")), conf=conf, classes=classes,
                   verbose=False)[0]
    assert (r.boxes.conf > conf).all()
    if classes is not None:
        assert set(r.boxes.cls.astype(int).tolist()) <= set(classes)


def test_batch_gives_the_same_as_single_images(yoloscope):
    # The built-in architecture has a dynamic batch; its synthetic weights score low, so a low
    # conf keeps boxes to compare.
    images = [str(shared_path(f"data/images/{n}")) for n in ("messi5.jpg", "fruits.jpg",
                                                             "basketball1.png")]
    model = yoloscope.YOLO("yolov8n.yaml", imgsz=320, conf=0.0005)
    one = model(images, verbose=False)
    two = model(images, batch=2, verbose=False)
    assert [r.path for r in two] == images
    assert sum(len(r) for r in one) > 0, "lower conf until the synthetic model yields boxes"
    for a, b in zip(one, two):
        assert len(a) == len(b)
        np.testing.assert_allclose(a.boxes.data, b.boxes.data, atol=1e-3)
