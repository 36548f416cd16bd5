# Sourced by scripts/fresh_check.sh and scripts/build_image.sh: the pieces both need to make a
# minimal Debian root on this host. Needs root; the caller defines log() and die().

# The host's Debian mirror (first deb822 URIs or sources.list line that is not the security
# archive), so a root uses the same network path as this machine's apt. YS_FRESH_MIRROR wins.
host_mirror() {
  if [[ -n "${YS_FRESH_MIRROR:-}" ]]; then
    echo "$YS_FRESH_MIRROR"
    return
  fi
  local f uri
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [[ -f "$f" ]] || continue
    uri=$(grep -hoE '(URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)https?://[^[:space:]]+/debian/?([[:space:]]|$)' "$f" \
      | grep -oE 'https?://[^[:space:]]+' | head -n1 || true)
    [[ -n "$uri" ]] && { echo "${uri%/}"; return; }
  done
  echo http://deb.debian.org/debian
}

# Installs the named host tools (Debian package = command) that are missing.
ensure_host_tools() {
  local missing=() t
  for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
  [[ ${#missing[@]} -eq 0 ]] && return
  log "installing on the host: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# minbase_tar WORK SUITE MIRROR LOGS REFRESH: prints the path of a tarball of a pristine
# `debootstrap --variant=minbase` root, made once and cached in WORK (REFRESH=1 makes it again).
minbase_tar() {
  local work=$1 suite=$2 mirror=$3 logs=$4 refresh=$5
  mkdir -p "$work"
  local tar="$work/base-$suite-minbase-$(dpkg --print-architecture).tar"
  if [[ $refresh == 1 || ! -f "$tar" ]]; then
    log "debootstrap --variant=minbase $suite from $mirror" >&2
    local tmp="$work/base.tmp.$$"
    debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$logs/debootstrap.log" 2>&1 \
      || die "debootstrap failed (see $logs/debootstrap.log)"
    tar --numeric-owner -C "$tmp" -cpf "$tar.part" .
    mv "$tar.part" "$tar"
    rm -rf "$tmp"
  fi
  echo "$tar"
}

# apt_sources ROOT SUITE MIRROR: what a fresh install's apt sees (the release, its updates and
# the security archive), and the host's resolver for the downloads.
apt_sources() {
  local root=$1 suite=$2 mirror=$3
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  rm -f "$root/etc/apt/sources.list"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
}
