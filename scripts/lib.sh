# Shared by scripts/test.sh and scripts/demo.sh: idempotent installs for a fresh Debian/Ubuntu.
# Sourced, not run. Every step checks first, so a second run installs nothing.

log() { printf '\033[1;34m[callrec]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[callrec] %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"; fi
}

require_node() {
  command -v node >/dev/null || die "Node.js >= 20.19 is required (https://nodejs.org)."
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node.js >= 20.19 is required; this is $(node --version)."
}

APT_UPDATED=0
# ensure_apt <command-to-check> <package> [<package>...]
ensure_apt() {
  local probe=$1; shift
  command -v "$probe" >/dev/null && return 0
  log "installing $* (apt)"
  if [ $APT_UPDATED = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  command -v "$probe" >/dev/null || die "installed $* but '$probe' is still missing"
}

ensure_ffmpeg() { ensure_apt ffmpeg ffmpeg; }

# Debian ships `chromium`; Ubuntu's apt `chromium` is a snap shim, so prefer an existing binary.
ensure_chromium() {
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null; then CHROMIUM_PATH=$(command -v "$c"); export CHROMIUM_PATH; return 0; fi
  done
  ensure_apt chromium chromium
  CHROMIUM_PATH=$(command -v chromium); export CHROMIUM_PATH
}

# pnpm through corepack, pinned by package.json's packageManager.
ensure_pnpm() {
  export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
  if ! corepack pnpm --version >/dev/null 2>&1; then
    # Some registry mirrors serve pnpm's metadata without npm signatures, which corepack's
    # verification rejects ("No compatible signature found"); the tarball integrity is still checked.
    export COREPACK_INTEGRITY_KEYS=0
    corepack pnpm --version >/dev/null || die "could not get pnpm through corepack"
    log "corepack: pnpm signature keys unavailable from this registry; integrity hash still checked"
  fi
}

pnpm() { corepack pnpm "$@"; }

install_deps() {
  ensure_pnpm
  # Playwright must not download a browser: the tests use the system Chromium.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 pnpm install --frozen-lockfile --reporter=silent
}
