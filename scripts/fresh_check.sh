#!/usr/bin/env bash
# Checks the README's Quick start on a fresh Debian 12: builds a clean root with debootstrap
# (minbase bookworm), copies a clean git clone of a commit into it (never the working tree), bind-
# mounts ../shared read-only beside it, then runs the README's two commands there as root
# (scripts/run.sh, then scripts/test.sh), and reports the wall time and exit status of each.
# Anything installed by hand on the development machine hides a missing install step; this does
# not (docs/SETUP.md has the last result).
#
#   scripts/fresh_check.sh [--commit REV] [--shared DIR] [--work DIR] [--refresh-base] [--keep]
#
#   --commit REV     what to check (default HEAD); uncommitted changes are never part of it.
#   --shared DIR     models, data and references for the tests (default: ../shared of the
#                    repository); mounted read-only at /src/shared. Absent: those tests skip.
#   --work DIR       where the base root cache, the root and the logs go
#                    (default /var/tmp/yoloscope-fresh; needs about 8 GB).
#   --refresh-base   debootstrap the base root again instead of unpacking the cached one.
#   --keep           leave the root in place afterwards (to look around; mounts are removed).
#   YS_FRESH_MIRROR  Debian mirror (default: the host's, from /etc/apt, else deb.debian.org).
#
# Needs root (debootstrap, chroot, mounts) and network to the mirror; installs debootstrap on the
# host when missing. The base root is cached as a tarball straight after debootstrap and each
# check unpacks a pristine copy of it. All mounts live in a private mount namespace, so they vanish
# with it even when this script is killed; the trap also unmounts and verifies before deleting.
# Exit status: 0 when both commands succeeded, 1 otherwise, 2 for bad arguments.
# shellcheck disable=SC2317 # the trap handlers are called indirectly
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$REPO/scripts/fresh_check.sh"
SUITE=bookworm
# shellcheck source=scripts/lib/debian_root.sh
source "$REPO/scripts/lib/debian_root.sh"
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "[fresh] $(date -u +%H:%M:%S) $*"; }
die() { echo "fresh_check.sh: $*" >&2; exit 1; }

# Inside the private mount and PID namespace: mount, run both commands, record the results.
# Environment from the outer half: FC_ROOT, FC_SHARED, FC_LOGS, FC_NODE_CA.
inner() {
  local root="$FC_ROOT"
  # Runs at exit, after inner's locals are gone: it reads FC_ROOT.
  unmount_all() {
    local m
    for m in src/shared dev sys proc; do
      if mountpoint -q "$FC_ROOT/$m"; then
        umount -R "$FC_ROOT/$m" 2>/dev/null || umount -R -l "$FC_ROOT/$m" 2>/dev/null || true
      fi
    done
  }
  trap unmount_all EXIT
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --make-rslave "$root/sys"
  mount --rbind /dev "$root/dev"
  mount --make-rslave "$root/dev"
  if [[ -n "$FC_SHARED" ]]; then
    mount --bind "$FC_SHARED" "$root/src/shared"
    mount -o remount,bind,ro "$root/src/shared"
  fi

  local phase start rc end
  for phase in run test; do
    log "chroot: scripts/$phase.sh (log: $FC_LOGS/$phase.log)"
    start=$(date +%s)
    set +e
    chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root PATH="$CHROOT_PATH" \
      LANG=C.UTF-8 TERM=dumb ${FC_NODE_CA:+NODE_EXTRA_CA_CERTS=$FC_NODE_CA} /bin/bash -c "cd /src/yoloscope && scripts/$phase.sh" \
      >"$FC_LOGS/$phase.log" 2>&1 </dev/null
    rc=$?
    set -e
    end=$(date +%s)
    echo "$phase $rc $((end - start))" >>"$FC_LOGS/results"
    # run.sh prints no times of its own: the ends of its package install and of its build are
    # read from the files they leave.
    if [[ $phase == run && -f "$root/src/yoloscope/build/yolo" ]]; then
      echo "packages - $(($(stat -c %Y "$root/var/lib/dpkg/status") - start))" >>"$FC_LOGS/results"
      echo "build - $(($(stat -c %Y "$root/src/yoloscope/build/.ninja_log") - start))" >>"$FC_LOGS/results"
    fi
    log "scripts/$phase.sh: exit $rc after $((end - start)) s"
  done
}

if [[ "${1:-}" == --inner ]]; then
  inner
  exit 0
fi

COMMIT=HEAD
SHARED="$REPO/../shared"
WORK=/var/tmp/yoloscope-fresh
REFRESH=0
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --commit) COMMIT="$2"; shift ;;
    --shared) SHARED="$2"; shift ;;
    --work) WORK="$2"; shift ;;
    --refresh-base) REFRESH=1 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot and mounts)"
SHA=$(git -C "$REPO" rev-parse --verify --quiet "$COMMIT^{commit}") || die "no commit '$COMMIT'"
if [[ -d "$SHARED" ]]; then
  SHARED="$(cd "$SHARED" && pwd)"
else
  log "no shared folder at $SHARED: the tests that need it will skip"
  SHARED=""
fi

MIRROR=$(host_mirror)
ensure_host_tools debootstrap

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$WORK"
ROOTFS="$WORK/root-$STAMP"
LOGS="$WORK/logs-$STAMP"
mkdir -p "$LOGS"
INNER_PID=""

# Every exit path: end the namespace (its mounts go with it), make sure nothing is still mounted
# under the root, and only then delete it: removing a tree with /dev bound inside would be fatal.
cleanup() {
  local rc=$?
  set +e
  if [[ -n "$INNER_PID" ]] && kill -0 "$INNER_PID" 2>/dev/null; then
    # unshare ignores SIGTERM while it waits, and the namespace's init (its child) takes only
    # SIGKILL from out here; once init dies the kernel ends every process in the namespace.
    local init=""
    read -r init _ <"/proc/$INNER_PID/task/$INNER_PID/children" 2>/dev/null
    [[ -n "$init" ]] && kill -KILL "$init" 2>/dev/null
    wait "$INNER_PID" 2>/dev/null
  fi
  local m
  while read -r m; do
    umount -R -l "$m" 2>/dev/null
  done < <(awk -v r="$ROOTFS/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  if [[ -d "$ROOTFS" ]]; then
    if awk -v r="$ROOTFS/" 'index($5, r) == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
      echo "fresh_check.sh: mounts remain under $ROOTFS; not deleting it" >&2
    elif [[ $KEEP == 1 ]]; then
      log "root kept at $ROOTFS"
    else
      rm -rf --one-file-system "$ROOTFS"
    fi
  fi
  rm -rf "$WORK/base.tmp.$$"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

T_BASE0=$(date +%s)
BASE_HOW="cached"
[[ $REFRESH == 1 || ! -f "$WORK/base-$SUITE-minbase-$(dpkg --print-architecture).tar" ]] && BASE_HOW="debootstrap"
BASE_TAR=$(minbase_tar "$WORK" "$SUITE" "$MIRROR" "$LOGS" "$REFRESH")
mkdir "$ROOTFS"
tar --numeric-owner -C "$ROOTFS" -xpf "$BASE_TAR"
T_BASE=$(( $(date +%s) - T_BASE0 ))
log "base root ready ($BASE_HOW) in ${T_BASE} s: $ROOTFS"

apt_sources "$ROOTFS" "$SUITE" "$MIRROR"
# A network that intercepts TLS (as this sandbox's does) makes the host trust its CA through
# NODE_EXTRA_CA_CERTS; npm in the root needs the same to reach its registry. Nothing else is
# carried over, so a fresh machine on an open network sees what the root sees.
FC_NODE_CA=""
if [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -r "$NODE_EXTRA_CA_CERTS" ]]; then
  cp -L "$NODE_EXTRA_CA_CERTS" "$ROOTFS/etc/yoloscope-host-extra-ca.crt"
  FC_NODE_CA=/etc/yoloscope-host-extra-ca.crt
  log "npm will trust the host's NODE_EXTRA_CA_CERTS ($NODE_EXTRA_CA_CERTS)"
fi
export FC_NODE_CA
cp /etc/hosts "$ROOTFS/etc/hosts"
# Packages must not start services in a chroot (standard policy-rc.d refusal).
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"

T_CLONE0=$(date +%s)
mkdir -p "$ROOTFS/src/shared"
git clone --quiet --no-hardlinks --no-checkout "$REPO" "$ROOTFS/src/yoloscope"
git -C "$ROOTFS/src/yoloscope" checkout --quiet --detach "$SHA"
T_CLONE=$(( $(date +%s) - T_CLONE0 ))
log "clean clone of $SHA in ${T_CLONE} s; shared: ${SHARED:-none}"

FC_ROOT="$ROOTFS" FC_SHARED="$SHARED" FC_LOGS="$LOGS" \
  unshare --mount --propagation private --pid --fork --kill-child -- "$SELF" --inner &
INNER_PID=$!
wait "$INNER_PID" || log "the namespace ended with status $?"
INNER_PID=""

# Summary: the table, then what the logs say about the build and the tests.
fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
result() { awk -v p="$1" -v f="$2" '$1 == p {print $f}' "$LOGS/results" 2>/dev/null; }
status=0
for phase in run test; do
  [[ "$(result "$phase" 2)" == 0 ]] || status=1
done
{
  echo
  echo "Fresh Debian 12 check: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $SHA"
  echo "  host $(nproc) cores; mirror $MIRROR; shared ${SHARED:-none}; logs $LOGS"
  echo
  printf '  %-28s %-6s %s\n' phase exit "wall time"
  printf '  %-28s %-6s %s\n' "base root ($BASE_HOW)" 0 "$(fmt "$T_BASE")"
  printf '  %-28s %-6s %s\n' "clean clone" 0 "$(fmt "$T_CLONE")"
  for phase in run test; do
    rc=$(result "$phase" 2)
    secs=$(result "$phase" 3)
    printf '  %-28s %-6s %s\n' "scripts/$phase.sh" "${rc:-none}" "$( [[ -n "$secs" ]] && fmt "$secs" || echo -)"
    if [[ $phase == run && -n "$(result packages 3)" ]]; then
      pk=$(result packages 3)
      bd=$(result build 3)
      printf '  %-28s %-6s %s\n' "  of which apt install" "" "$(fmt "$pk")" \
        "  configure + Release build" "" "$(fmt $((bd - pk)))" \
        "  yolo detect predict" "" "$(fmt $((secs - bd)))"
    fi
  done
  echo
  if [[ -f "$LOGS/run.log" ]]; then
    grep -hE '^\[setup\] installing:' "$LOGS/run.log" | head -n1 | awk '{print "  packages installed by run.sh: " NF - 2}'
    grep -hE 'CUDA backend left out|YoloScope: oneDNN=' "$LOGS/run.log" | sed 's/^-- /  cmake: /' | sort -u
    grep -hE '^Speed:|^Throughput:' "$LOGS/run.log" | sed 's/^/  run: /'
  fi
  if [[ -f "$LOGS/test.log" ]]; then
    grep -hE '^\[test\] [0-9]+s:' "$LOGS/test.log" | sed 's/^/  /'
    # Each ctest run's count, then the tests it lists as failed or not run.
    awk '/tests passed, [0-9]+ tests failed out of/ {print "  ctest: " $0}
         /^[[:space:]]+[0-9]+ - .* \((Failed|Skipped|Not Run|Timeout|SEGFAULT|Subprocess aborted)/ {
           sub(/^[[:space:]]+/, ""); print "    " $0 }' "$LOGS/test.log"
    printf '  browser tests (HtmlReportBrowser, chromium): %d passed, %d skipped, %d failed\n' \
      "$(grep -cE 'HtmlReportBrowser\..* Passed ' "$LOGS/test.log")" \
      "$(grep -cE 'HtmlReportBrowser\..*\*\*\*Skipped' "$LOGS/test.log")" \
      "$(grep -cE 'HtmlReportBrowser\..*\*\*\*Failed' "$LOGS/test.log")"
  fi
  echo
  echo "  result: $([[ $status == 0 ]] && echo PASSED || echo FAILED)"
} | tee "$LOGS/summary.txt"
exit $status
