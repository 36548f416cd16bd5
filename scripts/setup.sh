#!/usr/bin/env bash
# Sets up a Debian 12 machine for YoloScope and builds it: installs the Debian packages the
# project needs (only those missing; as root, or through sudo when available), then configures
# and builds build/ (Release) with CMake and Ninja. Safe to run again: a second run installs
# nothing and rebuilds only what changed.
#
#   scripts/setup.sh [--no-chromium] [--deps-only] [--build-dir DIR] [-- EXTRA CMAKE ARGS]
#
#   --no-chromium   leave out chromium (headless browser for the HTML report tests; those tests
#                   skip with a message without it). Also YS_NO_CHROMIUM=1.
#   --deps-only     install packages, do not build.
#   --build-dir DIR build there instead of build/ (relative to the repository root).
#   YS_SKIP_DEPS=1  do not check or install packages (machines without apt, e.g. the GPU host).
#   YS_CMAKE_ARGS   extra arguments for the CMake configure step.
#
# CUDA: when /usr/local/cuda/bin/nvcc exists, CMake is told to use it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="build"
WITH_CHROMIUM=1
[[ "${YS_NO_CHROMIUM:-0}" == 1 ]] && WITH_CHROMIUM=0
DEPS_ONLY=0
EXTRA_CMAKE=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-chromium) WITH_CHROMIUM=0 ;;
    --deps-only) DEPS_ONLY=1 ;;
    --build-dir) BUILD_DIR="$2"; shift ;;
    --build-dir=*) BUILD_DIR="${1#*=}" ;;
    --) shift; EXTRA_CMAKE=("$@"); break ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[setup] $*"; }

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler
  libdnnl-dev ocl-icd-opencl-dev opencl-headers
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-videoio-dev
  libjpeg-dev libpng-dev
  nlohmann-json3-dev libcpp-httplib-dev libssl-dev libcurl4-openssl-dev openssl
  libgtest-dev libgmock-dev libonnx-testdata
  clang-format clang libclang-rt-14-dev
  python3-dev python3-pybind11 python3-numpy python3-pytest python3-opencv
  nodejs npm
  prometheus
  ffmpeg libavformat-dev libavcodec-dev libavutil-dev libffmpeg-nvenc-dev
)
[[ $WITH_CHROMIUM == 1 ]] && PACKAGES+=(chromium)

# Packages whose command may come from elsewhere: NodeSource's nodejs bundles npm and conflicts
# with Debian's npm package, so a machine that has the command needs neither.
declare -A PROVIDED_BY_COMMAND=([nodejs]=node [npm]=npm)

is_installed() {
  if [[ -n "${PROVIDED_BY_COMMAND[$1]:-}" ]] && command -v "${PROVIDED_BY_COMMAND[$1]}" >/dev/null; then
    return 0
  fi
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

install_packages() {
  if [[ "${YS_SKIP_DEPS:-0}" == 1 ]]; then
    log "YS_SKIP_DEPS=1: not checking Debian packages"
    return
  fi
  if ! command -v dpkg-query >/dev/null; then
    log "no dpkg-query here (not Debian?): not checking packages; set YS_SKIP_DEPS=1 to silence this"
    return
  fi
  local missing=()
  for p in "${PACKAGES[@]}"; do
    is_installed "$p" || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "all ${#PACKAGES[@]} Debian packages present"
    return
  fi
  log "installing: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
      sudo=(sudo)
    else
      echo "setup.sh: missing packages (${missing[*]}) and not root, no sudo: install them as root" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  for p in "${missing[@]}"; do
    is_installed "$p" || { echo "setup.sh: package '$p' did not install" >&2; exit 1; }
  done
}

configure_and_build() {
  local dir="$ROOT/$BUILD_DIR"
  [[ "$BUILD_DIR" == /* ]] && dir="$BUILD_DIR"
  if [[ -f "$dir/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    echo "setup.sh: $dir was configured with another generator than Ninja; remove it and run again" >&2
    exit 1
  fi
  local args=(-S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release)
  if [[ -x /usr/local/cuda/bin/nvcc ]]; then
    args+=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
  fi
  # shellcheck disable=SC2206
  [[ -n "${YS_CMAKE_ARGS:-}" ]] && args+=(${YS_CMAKE_ARGS})
  args+=("${EXTRA_CMAKE[@]}")
  log "cmake ${args[*]}"
  cmake "${args[@]}"
  log "building $dir"
  cmake --build "$dir"
}

# `python3 -c "import yoloscope"` for Debian's Python: a .pth file in its site directory names the
# built package's folder (Debian marks its Python externally managed, so not pip). Rewritten only
# when it names another folder; nothing when the module was not built (no python3-pybind11).
install_python_path() {
  local dir="$ROOT/$BUILD_DIR"
  [[ "$BUILD_DIR" == /* ]] && dir="$BUILD_DIR"
  local py=/usr/bin/python3
  if ! compgen -G "$dir/python/yoloscope/_yoloscope*.so" >/dev/null || [[ ! -x $py ]]; then
    log "Python module not built: 'import yoloscope' is not set up"
    return
  fi
  local site pth
  if [[ $(id -u) -eq 0 ]]; then
    site=$("$py" -c 'import site; print(site.getsitepackages()[0])')
  else
    site=$("$py" -m site --user-site)
  fi
  pth="$site/yoloscope.pth"
  if [[ -f "$pth" && "$(cat "$pth")" == "$dir/python" ]]; then
    log "yoloscope already on $py's path ($pth)"
    return
  fi
  mkdir -p "$site"
  echo "$dir/python" >"$pth"
  log "yoloscope on $py's path: $pth -> $dir/python"
}

install_packages
if [[ $DEPS_ONLY == 1 ]]; then
  exit 0
fi
configure_and_build
install_python_path
log "done: $BUILD_DIR"
