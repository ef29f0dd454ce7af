#!/usr/bin/env bash
# `npm test`: install what is missing, build, type-check, lint, then run unit, integration and
# end-to-end tests against real PostgreSQL, NATS, Temporal, PowerDNS, restic and sshd (started by
# the jest global setup on free ports; a running `npm start` is never touched).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
echo "[test] build" >&2
npx tsc -b tsconfig.json
echo "[test] type-check (tests included)" >&2
npx tsc -p tsconfig.check.json
echo "[test] lint" >&2
NX_DAEMON=false npx nx show projects >/dev/null
npx eslint --max-warnings 0 .
echo "[test] format" >&2
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "[test] run: npm run format" >&2; exit 1; }
echo "[test] jest" >&2
exec node scripts/run-jest.js "$@"
