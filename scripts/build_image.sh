#!/usr/bin/env bash
# Builds the CPU container image without a registry, from Debian's packages alone:
#   1. a CPU-only Release `yolo` (build-image/, no CUDA, no tests) unless --binary names one;
#   2. a minimal bookworm root (debootstrap --variant=minbase; the base tarball of
#      scripts/fresh_check.sh is reused when it is there), with docs, man pages and locales left
#      out as in debian:bookworm-slim;
#   3. the runtime packages of docker/runtime-packages.txt, a non-root user `yolo` (uid 10001),
#      /data and /runs, `yolo` and the health check, as docker/Dockerfile.cpu lays them out.
#      Debian's OpenCV drags in Mesa, LLVM, GDAL's data and more through hard dependencies that
#      `yolo` never loads: of the files those packages add, shared objects outside the load
#      closure of `yolo` (ldd inside the root) and GDAL/PROJ data are removed (--no-prune keeps
#      them; dpkg then still lists the packages, which a runtime image does not upgrade anyway);
#   4. a smoke test inside that root with chroot, which stands in for `podman run` here (podman
#      cannot set rlimits in this sandbox): the main job runs as the image's user, and
#      PROFILING_ENABLED=true produces a report with the same command;
#   5. `podman import` of the root as an OCI image with the entrypoint, environment, user, ports,
#      volumes and labels of Dockerfile.cpu, then a check of the imported configuration.
# It prints the image's size and the time of each step (docs/CONTAINER.md has the last result).
#
#   scripts/build_image.sh [--tag NAME] [--binary PATH] [--work DIR] [--no-import] [--keep]
#
#   --tag NAME     image name (default yoloscope:cpu)
#   --binary PATH  a CPU-only `yolo` to put in the image instead of building build-image/
#   --work DIR     root, tarball and logs (default /var/tmp/yoloscope-image; about 2 GB)
#   --no-import    stop after the smoke test (no podman)
#   --no-prune     keep every file of the runtime packages (see step 3)
#   --keep         leave the root in place afterwards
#   YS_FRESH_MIRROR  Debian mirror (default: the host's, else deb.debian.org)
#
# Needs root (debootstrap, chroot, mounts) and network to the Debian mirror; installs debootstrap
# and podman on the host when missing. Exit status: 0 image built and smoke test passed; 1 a step
# failed; 2 bad arguments.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TAG=yoloscope:cpu
BINARY=""
WORK=/var/tmp/yoloscope-image
IMPORT=1
PRUNE=1
KEEP=0
SUITE=bookworm
IMAGE_UID=10001

while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) TAG="$2"; shift ;;
    --binary) BINARY="$2"; shift ;;
    --work) WORK="$2"; shift ;;
    --no-import) IMPORT=0 ;;
    --no-prune) PRUNE=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build_image.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

T0=$(date +%s)
log() { echo "[image] $(( $(date +%s) - T0 ))s: $*"; }
die() { echo "build_image.sh: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot and mounts)"

# shellcheck source=scripts/lib/debian_root.sh
source "$REPO/scripts/lib/debian_root.sh"
MIRROR=$(host_mirror)
tools=(debootstrap)
[[ $IMPORT == 1 ]] && tools+=(podman)
ensure_host_tools "${tools[@]}"

# 1. The binary.
if [[ -z "$BINARY" ]]; then
  log "building a CPU-only yolo in build-image/"
  cmake -S "$REPO" -B "$REPO/build-image" -G Ninja -DCMAKE_BUILD_TYPE=Release -DYS_WITH_CUDA=OFF \
    -DYS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$REPO/build-image" --target yolo
  BINARY="$REPO/build-image/yolo"
fi
[[ -x "$BINARY" ]] || die "no executable at $BINARY"
if readelf -d "$BINARY" | grep -qE 'NEEDED.*lib(cudart|cublas|cudnn|cupti)'; then
  die "$BINARY links CUDA libraries; the CPU image needs a build with -DYS_WITH_CUDA=OFF"
fi

mkdir -p "$WORK"
ROOTFS="$WORK/root"
LOGS="$WORK/logs"
mkdir -p "$LOGS"
cleanup() {
  local rc=$?
  if [[ -d "$ROOTFS" && $KEEP == 0 ]]; then
    if awk -v r="$ROOTFS/" 'index($5, r) == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
      echo "build_image.sh: mounts remain under $ROOTFS; not deleting it" >&2
    else
      rm -rf --one-file-system "$ROOTFS"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT

# 2. The root.
rm -rf --one-file-system "$ROOTFS"
mkdir -p "$ROOTFS"
# The base is shared with scripts/fresh_check.sh: one debootstrap serves both.
tar -C "$ROOTFS" -xpf "$(minbase_tar /var/tmp/yoloscope-fresh "$SUITE" "$MIRROR" "$LOGS" 0)"
log "minbase root unpacked"
apt_sources "$ROOTFS" "$SUITE" "$MIRROR"
# What debian:bookworm-slim leaves out, for every package installed from here on.
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/yoloscope-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF

# Runs a command in the root as root (or with --userspec), with /proc and /dev mounted in a
# private mount namespace: the mounts end with the command.
in_root() {
  unshare --mount --propagation private -- bash -c '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$@"' _ "$ROOTFS" "$@"
}

# 3. Packages, user, files.
mapfile -t RUNTIME_PACKAGES < <(grep -vE '^\s*(#|$)' "$REPO/docker/runtime-packages.txt")
find "$ROOTFS" -xdev \( -type f -o -type l \) -printf '/%P\n' | sort >"$LOGS/base-files.txt"
log "installing ${#RUNTIME_PACKAGES[@]} runtime packages"
in_root "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  /bin/bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log' \
  _ "${RUNTIME_PACKAGES[@]}" >"$LOGS/apt.log" 2>&1 || die "package install failed (see $LOGS/apt.log)"
in_root "$ROOTFS" /usr/sbin/useradd --system --uid "$IMAGE_UID" --create-home --home-dir /home/yolo \
  --shell /usr/sbin/nologin yolo
mkdir -p "$ROOTFS/data" "$ROOTFS/runs"
chown "$IMAGE_UID:$IMAGE_UID" "$ROOTFS/runs"
install -m 0755 "$BINARY" "$ROOTFS/usr/local/bin/yolo"
strip "$ROOTFS/usr/local/bin/yolo"
install -m 0755 "$REPO/docker/healthcheck.sh" "$ROOTFS/usr/local/bin/yoloscope-healthcheck"
# The base root predates the dpkg excludes: drop its docs, man pages and translations as well.
find "$ROOTFS/usr/share/doc" -xdev -type f ! -name copyright -delete
rm -rf "$ROOTFS/usr/share/man/"* "$ROOTFS/usr/share/info/"* "$ROOTFS/usr/share/locale/"*
rm -rf "$ROOTFS/tmp/"* "$ROOTFS/var/tmp/"* "$ROOTFS/root/.cache"
# No host resolver in the image: the container runtime provides its own.
: >"$ROOTFS/etc/resolv.conf"

if [[ $PRUNE == 1 ]]; then
  before=$(du -sb --one-file-system "$ROOTFS" | cut -f1)
  find "$ROOTFS" -xdev \( -type f -o -type l \) -printf '/%P\n' | sort \
    | comm -13 "$LOGS/base-files.txt" - >"$LOGS/added-files.txt"
  cp "$LOGS/added-files.txt" "$ROOTFS/tmp/added-files.txt"
  # Added shared objects outside the closure (a symlink into the closure stays), and GDAL/PROJ
  # data, which only GDAL's own drivers read. Resolved inside the root, in one chroot.
  in_root "$ROOTFS" /bin/bash -c '
    ldd /usr/local/bin/yolo | awk "/=> \\//{print \$3}" | while read -r lib; do
      echo "$lib"; readlink -f "$lib"; done | sort -u >/tmp/closure.txt
    grep -E "\.so(\.[0-9]+)*$" /tmp/added-files.txt | while read -r f; do
      grep -qxF "$(readlink -f "$f")" /tmp/closure.txt || echo "$f"; done' >"$LOGS/pruned-files.txt"
  mv "$ROOTFS/tmp/closure.txt" "$LOGS/closure.txt"
  rm -f "$ROOTFS/tmp/added-files.txt"
  grep -E '^/usr/share/(proj|gdal)/' "$LOGS/added-files.txt" >>"$LOGS/pruned-files.txt" || true
  while read -r f; do rm -f "$ROOTFS$f"; done <"$LOGS/pruned-files.txt"
  find "$ROOTFS/usr/lib" -xdev -type d -empty -delete
  after=$(du -sb --one-file-system "$ROOTFS" | cut -f1)
  log "pruned $(wc -l <"$LOGS/pruned-files.txt") files that yolo never loads: $(((before - after) / 1000000)) MB"
fi
missing=$(in_root "$ROOTFS" /usr/bin/ldd /usr/local/bin/yolo | grep 'not found' || true)
[[ -z "$missing" ]] || die "libraries missing from the image: $missing"

# 5 (first half). The tarball is taken before the smoke test writes into /runs.
log "packing the root"
ROOT_TAR="$WORK/rootfs.tar"
tar --numeric-owner -C "$ROOTFS" -cf "$ROOT_TAR" .
ROOT_BYTES=$(du -sb --one-file-system "$ROOTFS" | cut -f1)

# 4. Smoke test, as the image's user in its working directory with its environment.
run_as_image() {  # env assignments..., then the command
  in_root --userspec="$IMAGE_UID:$IMAGE_UID" "$ROOTFS" /usr/bin/env -i \
    PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/yolo /bin/bash -c 'cd / && exec env "$@"' _ "$@"
}
log "smoke test: the user is not root"
uid=$(run_as_image /usr/bin/id -u)
[[ "$uid" == "$IMAGE_UID" ]] || die "the image's user has uid $uid, expected $IMAGE_UID"
log "smoke test: the main job (yolo detect predict, built-in model and source)"
run_as_image yolo detect predict >"$LOGS/main-job.log" 2>&1 \
  || die "the main job failed (see $LOGS/main-job.log)"
ls "$ROOTFS"/runs/detect/predict*/ >/dev/null 2>&1 || die "the main job left nothing in /runs/detect"
if find "$ROOTFS/runs" -name summary.json | grep -q .; then
  die "the main job wrote a profile without PROFILING_ENABLED"
fi
log "smoke test: PROFILING_ENABLED=true, same command"
run_as_image PROFILING_ENABLED=true yolo detect predict >"$LOGS/profiled-job.log" 2>&1 \
  || die "the profiled job failed (see $LOGS/profiled-job.log)"
summary=$(find "$ROOTFS/runs" -name summary.json | head -n1)
[[ -n "$summary" ]] || die "PROFILING_ENABLED=true produced no summary.json (see $LOGS/profiled-job.log)"
[[ -f "$(dirname "$summary")/report.html" ]] || die "no report.html beside $summary"
[[ $(stat -c %u "$summary") == "$IMAGE_UID" ]] || die "$summary is not owned by the image's user"
# The decoders that pruning must have left: a JPEG, a PNG and a video (../shared, when present).
SHARED_DATA="$REPO/../shared/data"
if [[ -d "$SHARED_DATA/images" && -f "$SHARED_DATA/video/vtest.avi" ]]; then
  log "smoke test: JPEG, PNG and video decoding from /data"
  cp "$SHARED_DATA/images/messi5.jpg" "$SHARED_DATA/images/basketball1.png" \
    "$SHARED_DATA/video/vtest.avi" "$ROOTFS/data/"
  for src in data/messi5.jpg data/basketball1.png data/vtest.avi; do
    run_as_image yolo detect predict source="$src" vid_stride=40 >>"$LOGS/decode-jobs.log" 2>&1 \
      || die "decoding $src failed in the image (see $LOGS/decode-jobs.log)"
  done
  grep -q "vtest.avi" "$LOGS/decode-jobs.log" || die "the video run printed no frame (see $LOGS/decode-jobs.log)"
else
  log "no ../shared/data here: JPEG, PNG and video decoding not smoke-tested"
fi
log "smoke test passed: report at ${summary#"$ROOTFS"}"

if [[ $IMPORT == 1 ]]; then
  log "podman import as $TAG"
  podman import \
    --change 'ENTRYPOINT ["yolo"]' \
    --change 'CMD ["detect", "predict"]' \
    --change "USER yolo" \
    --change "WORKDIR /" \
    --change "ENV PROFILING_ENABLED=" \
    --change "EXPOSE 8080" \
    --change 'VOLUME ["/data", "/runs"]' \
    --change 'LABEL org.opencontainers.image.title="YoloScope (CPU)"' \
    --change "LABEL org.opencontainers.image.revision=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$ROOT_TAR" "$TAG" >"$LOGS/import.log" 2>&1 || die "podman import failed (see $LOGS/import.log)"
  config=$(podman image inspect "$TAG" --format '{{json .Config}}')
  for want in '"User":"yolo"' '"Entrypoint":["yolo"]' 'PROFILING_ENABLED=' '"8080/tcp"' '"/runs"'; do
    grep -qF "$want" <<<"$config" || die "imported image config lacks $want: $config"
  done
  IMAGE_BYTES=$(podman image inspect "$TAG" --format '{{.Size}}')
  log "image $TAG: $((IMAGE_BYTES / 1000000)) MB uncompressed (podman's size)"
fi
log "root: $((ROOT_BYTES / 1000000)) MB; rootfs.tar: $(( $(stat -c %s "$ROOT_TAR") / 1000000 )) MB"
log "done in $(( $(date +%s) - T0 )) s"
