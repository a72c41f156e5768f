#!/usr/bin/env bash
# Runs every test: lint, types, unit, integration against real storage servers (Ceph RGW for S3,
# the Firebase Storage emulator for GCS), and e2e in Chromium. Installs what is missing first
# (pnpm via corepack; ffmpeg, chromium and Ceph RGW via apt), so a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

require_node
ensure_ffmpeg
ensure_chromium
install_deps

mkdir -p .tmp
rm -f .tmp/vitest.json .tmp/playwright.json

log "starting a throwaway S3 server (Ceph RGW on 127.0.0.1)"
# A server that was already running (a developer's) is reused and left running.
if ! scripts/s3-server.sh status >/dev/null 2>&1; then
  trap 'scripts/s3-server.sh stop >/dev/null 2>&1 || true' EXIT
fi
eval "$(scripts/s3-server.sh start)"

failed=()
log "lint and type check"
pnpm lint || failed+=(lint)
pnpm typecheck || failed+=(typecheck)

log "unit and integration tests"
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json || failed+=(vitest)

log "end-to-end tests in Chromium ($CHROMIUM_PATH)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$PWD/.tmp/playwright.json" \
  e2e/node_modules/.bin/playwright test -c e2e/playwright.config.ts --reporter=list,json || failed+=(e2e)

node scripts/summarize-tests.mjs .tmp/vitest.json .tmp/playwright.json
if [ ${#failed[@]} -gt 0 ]; then die "failed: ${failed[*]}"; fi
log "all green"
