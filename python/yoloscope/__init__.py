"""YoloScope for Python: ``from yoloscope import YOLO``, as Ultralytics users write it.

The package is a thin layer over YoloScope's C++ runtime (the ``_yoloscope`` module): the
pipeline, NMS and the profiler are the ones the ``yolo`` command runs, and detection runs
without the GIL. See the README's "Python" section.
"""

from .model import YOLO
from .results import Boxes, Results

__version__ = "0.1.0"
__all__ = ["YOLO", "Results", "Boxes", "__version__"]
