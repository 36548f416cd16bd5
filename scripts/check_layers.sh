#!/usr/bin/env bash
# Checks every #include "layer/..." under src/ against the layer table of docs/ARCHITECTURE.md:
# a layer includes only itself and the layers below it, and a few pairs are barred outright
# (report/ reads neither profiler/ nor pipeline/; analysis/ does not read pipeline/; pipeline/
# names no concrete backend: it reads backends/backend_registry.h, not backends/cpu/ or cuda/). Includes that break a rule today and are being moved out are listed
# in KNOWN below, each with the issue that removes it: the list may only shrink, and a new
# violation, or a listed one that no longer exists, fails the check. Needs only bash and grep, so
# it runs on a fresh machine before anything is installed. Exit 0: clean; 1: violations.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

ORDER=(core model runtime backends pipeline profiler analysis report share session server cli python)
declare -A RANK
for i in "${!ORDER[@]}"; do RANK[${ORDER[$i]}]=$i; done

# "including-layer included-layer" pairs barred even though the order would allow them. An entry
# ending in /* bars only the sub-folders of a layer (each concrete backend), not its own files.
BARRED=("report profiler" "report pipeline" "analysis pipeline" "pipeline backends/*"
        "server model" "server runtime" "server backends" "server pipeline" "server profiler"
        "server analysis"
        "share model" "share runtime" "share backends" "share pipeline" "share profiler"
        "share analysis" "share report")

# file:include pairs that break a rule today, each to be removed by issue 13 (the profiled run's
# own layer, a backends registry). The check fails if one of them no longer exists, so that the
# list is trimmed as the moves land.
KNOWN=(
)

layer_of() {  # src/backends/cpu/x.cpp -> backends
  local rest=${1#src/}
  echo "${rest%%/*}"
}

barred() {  # barred including-layer included-layer included-folder
  local pair
  for pair in "${BARRED[@]}"; do
    [[ "$pair" == "$1 $2" ]] && return 0
    # shellcheck disable=SC2053  # the entry is a glob on purpose
    [[ "$pair" == *"/*" && "$1 $3" == $pair ]] && return 0
  done
  return 1
}

declare -A SEEN_KNOWN
status=0
while IFS= read -r line; do
  file=${line%%:*}
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${line#*:}")
  from=$(layer_of "$file")
  to=${inc%%/*}
  [[ -z "${RANK[$to]+x}" ]] && continue  # not one of our layers (a system or test header)
  if [[ -z "${RANK[$from]+x}" ]]; then
    echo "check_layers: $file is in src/$from, which is not in the layer table" >&2
    status=1
    continue
  fi
  bad=""
  if ((RANK[$to] > RANK[$from])); then
    bad="$from sits below $to"
  elif [[ "$from" != "$to" ]] && barred "$from" "$to" "$(dirname "$inc")"; then
    bad="$from must not read $to"
  fi
  [[ -z "$bad" ]] && continue
  key="$file:$inc"
  if printf '%s\n' "${KNOWN[@]}" | grep -qxF "$key"; then
    SEEN_KNOWN[$key]=1
    continue
  fi
  echo "check_layers: $file includes $inc: $bad" >&2
  status=1
done < <(grep -rnoE '#include "[a-z_]+/[^"]+"' src --include='*.h' --include='*.cpp' \
           --include='*.cu' | sed -E 's/:[0-9]+:/:/')

for key in "${KNOWN[@]}"; do
  if [[ -z "${SEEN_KNOWN[$key]+x}" ]]; then
    echo "check_layers: '$key' is listed as a known violation but no longer occurs: remove it" \
         "from KNOWN in $0" >&2
    status=1
  fi
done

if [[ $status == 0 ]]; then
  echo "check_layers: every include follows the layer table (${#KNOWN[@]} known exceptions)"
fi
exit $status
