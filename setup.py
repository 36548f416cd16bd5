"""Builds the yoloscope package's C++ module (_yoloscope) with this repository's CMake, for
`pip install .` (pyproject.toml holds the package's metadata). No download: CMake finds Debian's
pybind11, and pip must run with --no-build-isolation so that it uses Debian's setuptools.

YS_PIP_BUILD_DIR=build reuses an already configured build folder (scripts/setup.sh's build/):
only the module's target is built there, and its configuration is left as it is. Otherwise a
folder of pip's own is configured (Release, no tests) and built, which takes a while.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        reuse = os.environ.get("YS_PIP_BUILD_DIR")
        if reuse:
            build_dir = (ROOT / reuse).resolve()
        else:
            build_dir = Path(self.build_temp).resolve() / "cmake"
            args = ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-G", "Ninja",
                    "-DCMAKE_BUILD_TYPE=Release", "-DYS_BUILD_TESTS=OFF",
                    f"-DPython3_EXECUTABLE={sys.executable}"]
            if Path("/usr/local/cuda/bin/nvcc").exists():
                args.append("-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc")
            subprocess.check_call(args)
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "_yoloscope"])
        built = sorted((build_dir / "python" / "yoloscope").glob("_yoloscope*.so"))
        if not built:
            sys.exit(f"setup.py: {build_dir} built no _yoloscope module (is python3-pybind11 "
                     "installed? CMake says why it left the module out)")
        dest = Path(self.get_ext_fullpath(ext.name))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[0], dest)


# setuptools' own build folder is build-pip/, away from CMake's build/.
setup(ext_modules=[Extension("yoloscope._yoloscope", sources=[])],
      cmdclass={"build_ext": CMakeBuild},
      options={"build": {"build_base": "build-pip"}})
