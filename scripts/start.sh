#!/usr/bin/env bash
# `npm start`: install what is missing, build, and run the whole platform locally on embedded
# defaults (data in .fedops/, kept across starts). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
echo "[start] building" >&2
npx tsc -b tsconfig.json
exec node --enable-source-maps tools/platform/dist/main.js "$@"
