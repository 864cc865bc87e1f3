#!/usr/bin/env bash
# Build the MigrateIQ web UI (frontend/) into frontend/dist, which Django serves: the page through
# core/views_ui.py, the assets under /static/ui/. Needs Node.js 20+ and npm; installs the pinned
# packages of frontend/package-lock.json (npm ci) when they are missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "build_ui: node and npm are needed to build the web UI (Node.js 20 or newer)" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
echo "build_ui: web UI built in frontend/dist"
