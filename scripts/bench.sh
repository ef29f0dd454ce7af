#!/usr/bin/env bash
# `npm run bench -- [N ...]`: builds the workspace and the benchmark, then runs bench/src/deploy-tenants.bench.ts.
# Needs root (network namespaces) and the binaries of scripts/ensure-deps.sh. Exits non-zero when any
# tenant failed, the deadline passed (FEDOPS_BENCH_DEADLINE_MINUTES, default 20) or cleanup left something.
# `npm run bench -- api [RATE ...]`: tenant-api's GET latency at fixed request rates against a bare NestJS
# endpoint (bench/src/api-latency.bench.ts); exits non-zero when a request failed or the run did not finish.
# `npm run bench -- providers [N] [hetzner|digitalocean|proxmox ...]`: N machines created and deleted at once
# on each provider's simulator through Temporal, with and without 10 % of the calls failing
# (bench/src/providers/providers.bench.ts); exits non-zero on a duplicate, an orphan or a failed workflow.
# `npm run bench -- apps [ROUNDS]`: per round (3 by default) one tenant with all catalog apps and one with Mastodon
# alone, each timed to ready and deleted; time-to-ready against the critical path of its steps
# (bench/src/catalog-apps.bench.ts); exits non-zero when a tenant failed or cleanup left something.
# `npm run bench -- backup [ROUNDS]`: the same data set backed up through fedops (restic on a machine over SSH), through
# plain restic on the machine over SSH and through plain restic here, initially and after 1 % changed, ROUNDS (3)
# times: fedops' time against each (goal against restic over SSH) and the bytes added
# (bench/src/backup/backup.bench.ts); exits non-zero when a backup failed.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

[[ "$(id -u)" == 0 ]] || { echo '[bench] run as root: sandbox machines are network namespaces' >&2; exit 1; }

echo '[bench] building the workspace and the benchmark' >&2
npx tsc -b tsconfig.json
npx tsc -p bench/tsconfig.json

if [[ "${1:-}" == api ]]; then
  shift
  exec node --enable-source-maps bench/dist/api-latency.bench.js "$@"
fi
if [[ "${1:-}" == apps ]]; then
  shift
  exec node --enable-source-maps bench/dist/catalog-apps.bench.js "$@"
fi
if [[ "${1:-}" == backup ]]; then
  shift
  exec node --enable-source-maps bench/dist/backup/backup.bench.js "$@"
fi
if [[ "${1:-}" == providers ]]; then
  shift
  exec node --enable-source-maps bench/dist/providers/providers.bench.js "$@"
fi
exec node --enable-source-maps bench/dist/deploy-tenants.bench.js "$@"
