#!/usr/bin/env bash
# Runs `npm test` as a new machine would: removes what scripts/ensure-deps.sh installs (its Debian
# packages, the Temporal CLI and, unless --keep-go-cache, Go's module and build caches), clones
# HEAD into a temporary folder and runs `CI=true bash .ci/run` there, --runs times in a row,
# optionally with a CPU-heavy process beside it (--load). Prints each run's summary line and time.
#
#   bash scripts/fresh-machine-test.sh --yes [--runs N] [--load] [--keep-go-cache]
#
# DESTRUCTIVE for this machine's packages (they come back on the first run): root only, and only
# with --yes. A running `npm start` loses its PostgreSQL, NATS and PowerDNS binaries: stop it first.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=1 load=0 yes=0 keep_go_cache=0
while (($# > 0)); do
  case "$1" in
    --yes) yes=1 ;;
    --runs) runs="$2"; shift ;;
    --load) load=1 ;;
    --keep-go-cache) keep_go_cache=1 ;;
    *) echo "usage: $0 --yes [--runs N] [--load] [--keep-go-cache]" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '[fresh-machine] %s\n' "$*" >&2; }
[[ "$(id -u)" == 0 ]] || { log 'run as root'; exit 1; }
((yes == 1)) || { log 'this removes Debian packages and the Temporal CLI from this machine; pass --yes'; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { log "--runs takes a positive whole number, not '$runs'"; exit 2; }

# --- remove what ensure-deps.sh installs -------------------------------------------------------
# Each package it names, and whichever package really owns the file it checks (postgresql-15's
# binary, say), unless that package is Essential.
purge=()
while read -r pkg proof; do
  owner="$(dpkg-query -S "$proof" 2>/dev/null | cut -d: -f1 | head -n1 || true)"
  for p in "$pkg" "$owner"; do
    [[ -n "$p" ]] || continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || continue
    [[ "$(dpkg-query -W -f='${Essential}' "$p")" == yes ]] && continue
    [[ " ${purge[*]} " == *" $p "* ]] || purge+=("$p")
  done
done < <(bash "$REPO_ROOT/scripts/ensure-deps.sh" --list-packages)
if ((${#purge[@]} > 0)); then
  log "apt: purging ${purge[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${purge[@]}" >&2
fi
go_bin=/usr/local/go/bin/go
command -v go >/dev/null 2>&1 && go_bin="$(command -v go)"
gopath="$("$go_bin" env GOPATH)"
rm -f "$gopath/bin/temporal"
if ((keep_go_cache == 0)); then
  log 'go: cleaning the module and build caches'
  "$go_bin" clean -modcache -cache >&2
fi

# --- a fresh clone -------------------------------------------------------------------------------
work="$(mktemp -d /tmp/fedops-fresh-XXXXXX)"
hog=''
cleanup() {
  [[ -n "$hog" ]] && kill "$hog" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
git clone -q --no-local "$REPO_ROOT" "$work/main"
log "cloned $(git -C "$work/main" rev-parse --short HEAD) into $work/main"

if ((load == 1)); then
  # One core busy for as long as the runs last (bounded: 3 hours at most), as another tenant of a
  # shared CI machine would be.
  timeout 10800 sha256sum /dev/zero >/dev/null 2>&1 &
  hog=$!
  log "load: sha256sum /dev/zero (pid $hog) keeps one core busy"
fi

status=0
for ((i = 1; i <= runs; i++)); do
  log "run $i of $runs: CI=true bash .ci/run"
  started=$(date +%s)
  set +e
  (cd "$work/main" && CI=true bash .ci/run </dev/null) 2>&1 | tee "$work/run-$i.log" | tail -n 3 >&2
  code=${PIPESTATUS[0]}
  set -e
  summary="$(grep -E '^jest: [0-9]+ passed' "$work/run-$i.log" | tail -n1 || true)"
  log "run $i: exit $code, $(($(date +%s) - started)) s, ${summary:-no summary line}"
  if ((code != 0)); then
    status=$code
    cp "$work/run-$i.log" "/tmp/fedops-fresh-run-$i.log"
    log "run $i failed; its output is in /tmp/fedops-fresh-run-$i.log"
  fi
done
exit "$status"
