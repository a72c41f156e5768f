#!/usr/bin/env bash
# Starts the demo: the callrec server (local disk storage, ffmpeg processing) and the demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

require_node
ensure_ffmpeg
install_deps

log "demo page: http://127.0.0.1:5173   server: http://127.0.0.1:8787   recordings: ./recordings"
trap 'kill 0' EXIT INT TERM
node_modules/.bin/tsx packages/demo/server/main.ts &
(cd packages/demo && node_modules/.bin/vite --host 127.0.0.1 --port 5173 --strictPort) &
wait
