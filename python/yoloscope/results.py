"""Results of a YoloScope prediction, shaped like Ultralytics' ``Results`` and ``Boxes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np

from . import _yoloscope


class Boxes:
    """Detections of one image: ``data`` is float32 [N, 6] of x1, y1, x2, y2, conf, cls in the
    original image's pixels, best first; the properties are views or small computed arrays."""

    def __init__(self, data: np.ndarray, orig_shape: Tuple[int, int]) -> None:
        self.data = data
        self.orig_shape = orig_shape

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index: Any) -> "Boxes":
        return Boxes(self.data[index].reshape(-1, 6), self.orig_shape)

    @property
    def xyxy(self) -> np.ndarray:
        """Corners x1, y1, x2, y2 in pixels, [N, 4]."""
        return self.data[:, :4]

    @property
    def conf(self) -> np.ndarray:
        """Confidences, [N]."""
        return self.data[:, 4]

    @property
    def cls(self) -> np.ndarray:
        """Class ids as float32, [N] (as Ultralytics gives them)."""
        return self.data[:, 5]

    @property
    def xywh(self) -> np.ndarray:
        """Centre x, centre y, width, height in pixels, [N, 4]."""
        xyxy = self.xyxy
        out = np.empty_like(xyxy)
        out[:, 0] = (xyxy[:, 0] + xyxy[:, 2]) / 2
        out[:, 1] = (xyxy[:, 1] + xyxy[:, 3]) / 2
        out[:, 2] = xyxy[:, 2] - xyxy[:, 0]
        out[:, 3] = xyxy[:, 3] - xyxy[:, 1]
        return out

    @property
    def xyxyn(self) -> np.ndarray:
        """Corners divided by the image's width and height, [N, 4]."""
        h, w = self.orig_shape
        return self.xyxy / np.array([w, h, w, h], dtype=np.float32)

    @property
    def xywhn(self) -> np.ndarray:
        """Centre and size divided by the image's width and height, [N, 4]."""
        h, w = self.orig_shape
        return self.xywh / np.array([w, h, w, h], dtype=np.float32)

    def __repr__(self) -> str:
        return f"yoloscope.Boxes({len(self)} boxes, orig_shape={self.orig_shape})"


class Results:
    """One image's or video frame's detections.

    Attributes: ``boxes`` (Boxes), ``names`` (class id -> name), ``orig_img`` (the BGR image,
    the caller's own array for a NumPy input), ``orig_shape`` (height, width), ``path`` (file,
    or ``image0.jpg`` ... for arrays), ``speed`` (milliseconds of preprocess, inference and
    postprocess for this image).
    """

    def __init__(self, frame: Dict[str, Any], names: Dict[int, str]) -> None:
        self.orig_img: np.ndarray = frame["orig_img"]
        self.orig_shape: Tuple[int, int] = (int(self.orig_img.shape[0]), int(self.orig_img.shape[1]))
        self.boxes = Boxes(frame["boxes"], self.orig_shape)
        self.names = names
        self.path: str = frame["path"]
        self.speed: Dict[str, float] = frame["speed"]
        self.frame_index: int = frame["index"]
        self.kind: str = frame["kind"]
        self.damage: str = frame["damage"]

    def __len__(self) -> int:
        return len(self.boxes)

    def _names_list(self) -> List[str]:
        return [self.names[i] for i in range(len(self.names))]

    def plot(self) -> np.ndarray:
        """The image with its boxes and labels drawn as the yolo command saves it (a new BGR
        array; the original is left as it is)."""
        return _yoloscope.plot(self.orig_img, self.boxes.data, self._names_list())

    def verbose(self) -> str:
        """"2 persons, 1 bus" in Ultralytics' wording; "(no detections)" when empty."""
        return _yoloscope.summary(self.boxes.data, self._names_list())

    def save(self, filename: str) -> str:
        """Writes plot() to `filename` through OpenCV's encoder (needs cv2)."""
        import cv2  # only this method needs OpenCV's Python module

        if not cv2.imwrite(str(filename), self.plot()):
            raise RuntimeError(f"cannot write {filename}")
        return str(filename)

    def save_txt(self, txt_file: str, save_conf: bool = False) -> str:
        """Appends YOLO labels ("cls cx cy w h [conf]", normalised), as save_txt=True writes
        them, to `txt_file`."""
        h, w = self.orig_shape
        lines = _yoloscope.label_lines(self.boxes.data, w, h, save_conf)
        Path(txt_file).parent.mkdir(parents=True, exist_ok=True)
        with open(txt_file, "a", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)
        return str(txt_file)

    def summary(self, normalize: bool = False, decimals: int = 5) -> List[Dict[str, Any]]:
        """One dict per detection: name, class, confidence and box (x1, y1, x2, y2)."""
        h, w = self.orig_shape
        out = []
        for x1, y1, x2, y2, conf, cls in self.boxes.data.tolist():
            if normalize:
                x1, x2, y1, y2 = x1 / w, x2 / w, y1 / h, y2 / h
            c = int(cls)
            out.append({
                "name": self.names.get(c, str(c)),
                "class": c,
                "confidence": round(conf, decimals),
                "box": {k: round(v, decimals) for k, v in zip(("x1", "y1", "x2", "y2"), (x1, y1, x2, y2))},
            })
        return out

    def to_json(self, normalize: bool = False, decimals: int = 5) -> str:
        """summary() as a JSON array, as Ultralytics' Results.to_json writes it."""
        return json.dumps(self.summary(normalize, decimals), indent=2)

    def __repr__(self) -> str:
        return f"yoloscope.Results(path={self.path!r}, {self.verbose()}, orig_shape={self.orig_shape})"


def names_dict(names: List[str]) -> Dict[int, str]:
    return dict(enumerate(names))


__all__ = ["Boxes", "Results", "names_dict"]
