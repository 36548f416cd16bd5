#!/usr/bin/env bash
# Checks a Dockerfile against the rules the project holds its images to (hadolint is in neither
# Debian nor npm, so these few are checked here):
#   pinned-base    every FROM names a fixed version: a digest, or a tag with a version number
#                  (not `latest`, not a bare codename such as `bookworm-slim`);
#   non-root       the final stage sets USER to someone other than root/0, before ENTRYPOINT/CMD;
#   no-secrets     no ENV or ARG that gives a secret-looking name (…SECRET…, …TOKEN…, …PASSWORD…,
#                  …PASSPHRASE…, …_KEY, …CREDENTIALS…) a value, and no COPY/ADD of key material
#                  (*.pem, *.key, id_rsa*, .aws/, .env, .git-credentials) or of the whole context;
#   runtime-shape  the final stage has ENTRYPOINT ["yolo"], HEALTHCHECK, EXPOSE and VOLUME.
# Prints one line per violation ("<file>: <rule>: <why>") and exits 1 if there is any, else 0.
#
#   scripts/check_dockerfile.sh docker/Dockerfile.cpu [more Dockerfiles]
set -uo pipefail

status=0
report() {  # file rule message
  echo "$1: $2: $3"
  status=1
}

check_one() {
  local file=$1
  [[ -r "$file" ]] || { report "$file" read "cannot read it"; return; }
  # Join continuation lines and drop comments, so each instruction is one line.
  local joined
  joined=$(sed -e 's/\r$//' "$file" | grep -vE '^\s*#' | sed -e ':a' -e '/\\$/{N; s/\\\n/ /; ba}')

  local stage=0 final_user="" user_line=0 entry_line=0 n=0
  local has_entry=0 has_health=0 has_expose=0 has_volume=0
  local line instr rest
  while IFS= read -r line; do
    n=$((n + 1))
    [[ -z "${line//[[:space:]]/}" ]] && continue
    instr=$(awk '{print toupper($1)}' <<<"$line")
    rest=$(sed -E 's/^\s*[A-Za-z]+\s*//' <<<"$line")
    case "$instr" in
      FROM)
        stage=$((stage + 1))
        final_user="" user_line=0 entry_line=0 has_entry=0 has_health=0 has_expose=0 has_volume=0
        local image
        image=$(awk '{for (i = 1; i <= NF; i++) if ($i !~ /^--/) {print $i; exit}}' <<<"$rest")
        if [[ "$image" == *@sha256:* ]]; then
          :
        elif [[ "$image" != *:* ]]; then
          report "$file" pinned-base "FROM $image has no tag (it means latest)"
        else
          local tag=${image##*:}
          if [[ "$tag" == latest || ! "$tag" =~ [0-9] ]]; then
            report "$file" pinned-base "FROM $image: the tag '$tag' moves; name a version or a digest"
          fi
        fi
        ;;
      USER)
        final_user=$(awk '{print $1}' <<<"$rest")
        final_user=${final_user%%:*}
        user_line=$n
        ;;
      ENTRYPOINT | CMD)
        [[ "$instr" == ENTRYPOINT ]] && has_entry=1 && entry_line=$n
        [[ "$instr" == ENTRYPOINT && "$rest" != '["yolo"]'* ]] \
          && report "$file" runtime-shape "ENTRYPOINT is $rest, expected [\"yolo\"]"
        ;;
      HEALTHCHECK) [[ "$rest" != NONE* ]] && has_health=1 ;;
      EXPOSE) has_expose=1 ;;
      VOLUME) has_volume=1 ;;
      ENV | ARG)
        local pair name value
        # ENV a=b c=d, ENV a b, ARG a=b: check every name that is given a non-empty value.
        while read -r pair; do
          [[ -z "$pair" ]] && continue
          name=${pair%%=*}
          value=""
          [[ "$pair" == *=* ]] && value=${pair#*=}
          [[ "$instr" == ENV && "$pair" != *=* ]] && value=$(awk '{$1=""; print}' <<<"$rest")
          value=${value//\"/}
          if [[ -n "${value// /}" ]] \
            && grep -qiE '(SECRET|TOKEN|PASSWORD|PASSPHRASE|_KEY$|^KEY$|CREDENTIAL)' <<<"$name"; then
            report "$file" no-secrets "$instr $name is given a value in a layer; pass it at run time"
          fi
          [[ "$instr" == ENV && "$pair" != *=* ]] && break
        done < <(tr ' ' '\n' <<<"$rest")
        ;;
      COPY | ADD)
        local srcs
        srcs=$(tr ' ' '\n' <<<"$rest" | grep -v '^--' | sed '$d')
        if grep -qxE '\.|\./|\*' <<<"$srcs"; then
          report "$file" no-secrets "$instr copies the whole build context; name what the image needs"
        fi
        if grep -qiE '(\.pem$|\.key$|id_rsa|\.aws|(^|/)\.env$|\.git-credentials|\.netrc)' <<<"$srcs"; then
          report "$file" no-secrets "$instr copies key material: $(tr '\n' ' ' <<<"$srcs")"
        fi
        ;;
    esac
  done <<<"$joined"

  [[ $stage -gt 0 ]] || { report "$file" runtime-shape "no FROM"; return; }
  if [[ -z "$final_user" ]]; then
    report "$file" non-root "the final stage sets no USER, so it runs as root"
  elif [[ "$final_user" == root || "$final_user" == 0 ]]; then
    report "$file" non-root "the final stage runs as $final_user"
  elif [[ $entry_line -gt 0 && $user_line -gt $entry_line ]]; then
    report "$file" non-root "USER comes after ENTRYPOINT"
  fi
  [[ $has_entry == 1 ]] || report "$file" runtime-shape "the final stage has no ENTRYPOINT"
  [[ $has_health == 1 ]] || report "$file" runtime-shape "the final stage has no HEALTHCHECK"
  [[ $has_expose == 1 ]] || report "$file" runtime-shape "the final stage has no EXPOSE"
  [[ $has_volume == 1 ]] || report "$file" runtime-shape "the final stage has no VOLUME"
}

[[ $# -gt 0 ]] || { echo "usage: scripts/check_dockerfile.sh Dockerfile..." >&2; exit 2; }
for f in "$@"; do check_one "$f"; done
exit $status
