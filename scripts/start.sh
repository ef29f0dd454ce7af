#!/usr/bin/env bash
# `npm start`: install what is missing, build, and run the whole platform locally on embedded
# defaults (data in .fedops/, kept across starts). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh --app-servers-later
# The real app servers (Dendrite, Gitea: about 10 minutes the first time) build while the platform
# starts and runs; a sandbox deploy of Matrix or Forgejo waits for the build (the stand-in takes its
# lock). Nothing to do, and nothing printed, once they are built.
if ! bash scripts/ensure-app-servers.sh --check 2>/dev/null; then
  mkdir -p .fedops/platform/logs
  echo "[start] building the real app servers in the background: .fedops/platform/logs/app-servers.log" >&2
  bash scripts/ensure-app-servers.sh >.fedops/platform/logs/app-servers.log 2>&1 &
fi
echo "[start] building" >&2
npx tsc -b tsconfig.json
exec node --enable-source-maps tools/platform/dist/main.js "$@"
