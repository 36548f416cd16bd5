#!/usr/bin/env bash
# deploy/kubernetes/ validates against the Kubernetes API schemas (npm `kubernetes-models`, no
# cluster), and the validator rejects a broken Deployment. The npm packages are installed once
# into YS_NPM_DIR (default ~/.cache/yoloscope/npm-deploy) from npm's registry, pinned to versions
# that run on Debian 12's nodejs 18. Without node and npm it skips (exit 77) with a message.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NPM_DIR="${YS_NPM_DIR:-$HOME/.cache/yoloscope/npm-deploy}"
PACKAGES=(kubernetes-models@4.5.1 yaml@2.6.1)

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed (scripts/setup.sh installs Debian's nodejs and npm)"
  exit 77
fi
if [[ ! -f "$NPM_DIR/.installed-${PACKAGES[*]// /_}" ]]; then
  mkdir -p "$NPM_DIR"
  if ! npm install --no-audit --no-fund --loglevel=error --prefix "$NPM_DIR" "${PACKAGES[@]}" >&2; then
    echo "FAIL: npm install ${PACKAGES[*]} into $NPM_DIR failed (is npm's registry reachable?)"
    exit 1
  fi
  touch "$NPM_DIR/.installed-${PACKAGES[*]// /_}"
fi
VALIDATE=(node "$REPO/tests/deploy/validate_manifests.cjs" "$NPM_DIR/node_modules")

status=0
"${VALIDATE[@]}" "$REPO"/deploy/kubernetes/*.yaml || status=1

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed -e 's/replicas: 1/replicas: "one"/' -e 's/containerPort: 8080/containerPort: http/' \
  "$REPO/deploy/kubernetes/deployment.yaml" >"$tmp"
if out=$("${VALIDATE[@]}" "$tmp"); then
  echo "FAIL: the validator accepted a Deployment with replicas: \"one\": $out"
  status=1
elif [[ "$out" != *"/spec/replicas"* ]]; then
  echo "FAIL: the validator rejected the broken Deployment for another reason: $out"
  status=1
fi
exit $status
