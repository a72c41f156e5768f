#!/usr/bin/env bash
# Runs every test: lint, types, unit, integration against real storage servers, e2e in Chromium.
# Installs what is missing first (pnpm via corepack; ffmpeg, chromium, Ceph RGW via apt).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

require_node
ensure_ffmpeg
ensure_chromium
install_deps

log "lint and type check"
pnpm lint
pnpm typecheck

log "unit and integration tests"
pnpm exec vitest run

log "end-to-end tests in Chromium ($CHROMIUM_PATH)"
pnpm exec playwright test -c e2e/playwright.config.ts
