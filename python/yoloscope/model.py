"""``YOLO``: Ultralytics' model class over YoloScope's C++ pipeline."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _yoloscope
from .results import Results

# What predict's `source` may be: a path (image, video, directory, glob), a URL, "synthetic",
# a uint8 BGR array as cv2.imread gives it, or a list of those.
SourceItem = Union[str, "os.PathLike[str]", np.ndarray]
Source = Union[SourceItem, Sequence[SourceItem]]


def _cli_text(key: str, value: Any) -> str:
    """A keyword's value as the yolo command line writes it, for the command's own parser."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_cli_text(key, v) for v in value) + "]"
    raise ValueError(f"'{key}={value!r}': a {type(value).__name__} is not a value YoloScope reads")


def _settings(kwargs: Dict[str, Any]) -> List[Tuple[str, str]]:
    return [(key, _cli_text(key, value)) for key, value in kwargs.items()]


def _source_items(source: Optional[Source]) -> List[Union[str, np.ndarray]]:
    if source is None:
        return ["synthetic"]
    items = list(source) if isinstance(source, (list, tuple)) else [source]
    out: List[Union[str, np.ndarray]] = []
    for item in items:
        if isinstance(item, np.ndarray):
            out.append(item)
        elif isinstance(item, (str, os.PathLike)):
            out.append(os.fspath(item))
        else:
            raise ValueError(
                f"source: a {type(item).__name__} is not a source YoloScope reads; give a path, "
                "a glob, a video, a URL, a uint8 BGR numpy array (as cv2.imread gives it) or a "
                "list of them")
    return out


class YOLO:
    """A YOLO detector, used the way Ultralytics' ``YOLO`` is::

        model = YOLO("yolov8n.onnx")
        results = model.predict("bus.jpg", conf=0.3)
        for r in model("video.mp4", stream=True):
            print(r.boxes.xyxy, r.boxes.conf, r.boxes.cls)

    `model` is an ONNX file or a built-in architecture with synthetic weights ("yolov8n.yaml").
    Any key of the yolo command may be given here (device="0", imgsz=320, half=True, ...): it
    holds for every predict, which may override it. Raises FileNotFoundError or RuntimeError
    naming a model that cannot be loaded, ValueError for a bad key or value.
    """

    def __init__(self, model: Union[str, "os.PathLike[str]"] = "yolov8n.yaml",
                 task: Optional[str] = None, verbose: bool = False,
                 device: Optional[str] = None, **overrides: Any) -> None:
        if task not in (None, "detect"):
            raise ValueError(f"task={task!r}: YoloScope does detection only (task='detect')")
        if device is not None:
            overrides["device"] = device
        self.ckpt_path = os.fspath(model)
        self.overrides = dict(overrides)
        self._model = _yoloscope.Model(self.ckpt_path, _settings(overrides))
        description = self._model.describe()
        self.names: Dict[int, str] = dict(enumerate(description["names"]))
        self.model_name: str = description["name"]
        self.task = "detect"
        self.verbose = verbose
        # The last profile=True run's summary (summary.json as a dict, with report_path and
        # advice, the advisor's findings); None until one has run.
        self.profile: Optional[Dict[str, Any]] = None

    def info(self) -> Dict[str, Any]:
        """The model's name, path, family, input shape and class names."""
        return self._model.describe()

    def __call__(self, source: Optional[Source] = None, stream: bool = False,
                 **kwargs: Any) -> Union[List[Results], Iterator[Results]]:
        return self.predict(source, stream, **kwargs)

    def predict(self, source: Optional[Source] = None, stream: bool = False,
                **kwargs: Any) -> Union[List[Results], Iterator[Results]]:
        """Detects objects in `source`; a list of Results, or a generator of them with
        stream=True (which reads a long video frame by frame).

        Keywords are the yolo command's keys with its defaults (`yolo help`, docs/CLI.md), save
        excepted, which is False here as in Ultralytics' Python API: conf, iou, imgsz, classes,
        max_det, agnostic_nms, half, batch, device, vid_stride, save, save_txt, save_json,
        project, name, profile, profile_schedule, ... profile=True writes the same report as
        `yolo predict profile=True` and leaves its summary in `model.profile`.
        """
        verbose = kwargs.get("verbose", True)
        run = self._model.start(_source_items(source), _settings(kwargs))
        results = self._results(run, bool(verbose), bool(kwargs.get("profile", False)))
        return results if stream else list(results)

    def benchmark(self, source: Union[str, "os.PathLike[str]"] = "synthetic",
                  **kwargs: Any) -> Dict[str, Any]:
        """What `yolo benchmark` measures and writes (docs/BENCHMARK.md): every pipeline stage of
        every frame and the model's layers, with the machine's fingerprint and calibration, as
        the benchmark file's dict (schema yoloscope-benchmark). Keywords are the command's:
        frames (100), imgsz, batch, threads, device, half, ...; out="benchmark.json" also writes
        the file, for `yolo compare`. It loads a detector of its own for the run."""
        return self._model.benchmark(os.fspath(source), _settings(kwargs))

    def _results(self, run: Any, verbose: bool, profile: bool) -> Iterator[Results]:
        n = 0
        speed = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
        try:
            while True:
                frames = run.next_batch()
                if frames is None:
                    break
                for frame in frames:
                    r = Results(frame, self.names)
                    n += 1
                    for k in speed:
                        speed[k] += r.speed[k]
                    if verbose:
                        h, w = r.orig_shape
                        print(f"{r.kind} {n} {r.path}: {h}x{w} {r.verbose()}, "
                              f"{r.speed['inference']:.1f}ms")
                    yield r
            if profile:
                self.profile = run.profile
                if verbose and self.profile is not None:
                    print(self.profile["console"], end="")
            if verbose and n:
                print(f"Speed: {speed['preprocess'] / n:.1f}ms preprocess, "
                      f"{speed['inference'] / n:.1f}ms inference, "
                      f"{speed['postprocess'] / n:.1f}ms postprocess per image")
        finally:
            run.close()


__all__ = ["YOLO", "Source", "SourceItem"]
