#!/usr/bin/env bash
# Installs the npm packages of the loopback S3 used by the upload tests (s3_front.js: s3rver
# for storage, AWS's @smithy/signature-v4 to check every signature) once into YS_NPM_DIR
# (default ~/.cache/yoloscope/npm-s3), pinned to versions that run on Debian 12's nodejs 18, and
# prints that folder. Without node and npm, or when the install fails, it prints "SKIP: <why>"
# and exits 77.
set -uo pipefail
NPM_DIR="${YS_NPM_DIR:-$HOME/.cache/yoloscope/npm-s3}"
PACKAGES=(s3rver@3.7.1 @smithy/signature-v4@5.7.5 @smithy/hash-node@4.5.2)
STAMP="$NPM_DIR/.installed-$(echo "${PACKAGES[*]}" | sed 's/[ /@]/_/g')"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed (scripts/setup.sh installs Debian's nodejs and npm)"
  exit 77
fi
if [[ ! -f "$STAMP" ]]; then
  mkdir -p "$NPM_DIR"
  if ! npm install --no-audit --no-fund --loglevel=error --prefix "$NPM_DIR" "${PACKAGES[@]}" >&2
  then
    echo "SKIP: npm install ${PACKAGES[*]} into $NPM_DIR failed (is npm's registry reachable?)"
    exit 77
  fi
  touch "$STAMP"
fi
echo "$NPM_DIR"
