#!/usr/bin/env bash
# The image rules (scripts/check_dockerfile.sh) hold for docker/Dockerfile.cpu and .cuda; the
# checker itself flags each rule on a Dockerfile made to break it (a checker that cannot fail
# proves nothing); and docker/runtime-packages.txt still covers every library that the built
# `yolo` (first argument) links, less CUDA's, which the CUDA base image brings.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
YOLO=${1:-}
CHECK="$REPO/scripts/check_dockerfile.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for f in "$REPO"/docker/Dockerfile.cpu "$REPO"/docker/Dockerfile.cuda; do
  out=$("$CHECK" "$f") || fail "$f breaks the rules: $out"
done

good() {  # a Dockerfile that passes, to break one line at a time
  cat <<'DOCKERFILE'
FROM debian:bookworm-20241111-slim AS build
COPY src /src
FROM debian:bookworm-20241111-slim
ENV PROFILING_ENABLED=""
EXPOSE 8080
VOLUME ["/data", "/runs"]
USER yolo
HEALTHCHECK CMD ["/usr/local/bin/yoloscope-healthcheck"]
ENTRYPOINT ["yolo"]
DOCKERFILE
}
expect() {  # rule, sed expression that breaks the good file
  local rule=$1 edit=$2 out
  good | sed -e "$edit" >"$TMP/Dockerfile"
  out=$("$CHECK" "$TMP/Dockerfile")
  [[ $? -eq 1 && "$out" == *": $rule: "* ]] || fail "'$edit' should break $rule; the checker said: ${out:-nothing}"
}
good >"$TMP/Dockerfile"
out=$("$CHECK" "$TMP/Dockerfile") || fail "the good Dockerfile fails: $out"
expect pinned-base 's/^FROM debian:bookworm-20241111-slim$/FROM debian:bookworm-slim/'
expect pinned-base 's/^FROM debian:bookworm-20241111-slim AS build/FROM ubuntu AS build/'
expect pinned-base 's/^FROM debian:bookworm-20241111-slim$/FROM debian:latest/'
expect non-root 's/^USER yolo/USER root/'
expect non-root 's/^USER yolo/USER 0:0/'
expect non-root '/^USER yolo/d'
expect no-secrets 's/^ENV PROFILING_ENABLED=""/ENV AWS_SECRET_ACCESS_KEY=AKIAabc123/'
expect no-secrets 's/^ENV PROFILING_ENABLED=""/ARG YOLOSCOPE_SERVER_TOKEN=s3cr3t/'
expect no-secrets 's/^ENV PROFILING_ENABLED=""/ENV YOLOSCOPE_REPORT_KEY 00112233/'
expect no-secrets 's|^COPY src /src|COPY . /src|'
expect no-secrets 's|^COPY src /src|COPY certs/server.key /etc/ssl/|'
expect runtime-shape '/^HEALTHCHECK/d'
expect runtime-shape 's/^ENTRYPOINT \["yolo"\]/ENTRYPOINT ["sh"]/'
expect runtime-shape '/^VOLUME/d'

# The runtime package list against what the binary links.
if [[ -n "$YOLO" && -x "$YOLO" ]] && command -v dpkg >/dev/null && command -v readelf >/dev/null; then
  listed=$(grep -vE '^\s*(#|$)' "$REPO/docker/runtime-packages.txt")
  while read -r lib; do
    [[ "$lib" =~ ^lib(cudart|cublas|cublasLt|cudnn|cupti|nvrtc|cuda)\. ]] && continue
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
    [[ -n "$path" ]] || { fail "$YOLO links $lib, which ldconfig does not know"; continue; }
    real=$(readlink -f "$path")
    pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || true)
    pkg=${pkg%%:*}
    [[ -n "$pkg" ]] || { fail "no Debian package owns $real ($lib)"; continue; }
    # libc6, libstdc++6 and libgcc-s1 are in every Debian root.
    [[ "$pkg" =~ ^(libc6|libstdc\+\+6|libgcc-s1)$ ]] && continue
    grep -qxF "$pkg" <<<"$listed" || fail "$YOLO links $lib from $pkg, missing in docker/runtime-packages.txt"
  done < <(readelf -d "$YOLO" | awk '/NEEDED/ {gsub(/[][]/, "", $5); print $5}')
else
  echo "note: no Release yolo, dpkg or readelf given (a sanitizer build passes none): the runtime package list was not checked"
fi

[[ $failures -eq 0 ]] && echo "docker rules: all checks passed"
exit $((failures > 0))
