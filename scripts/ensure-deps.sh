#!/usr/bin/env bash
# Installs what fedops needs on a fresh Debian 12 machine (run as root). Idempotent and fast when
# everything is present: apt only for missing packages, the Temporal CLI only when its binary is
# missing, `npm ci` only when node_modules is missing or older than package-lock.json, the real app
# servers (scripts/ensure-app-servers.sh) only when their binaries are missing.
# `ensure-deps.sh --list-packages` prints the Debian packages it manages, one a line with the file that
# proves each installed, and changes nothing. `--app-servers-later` leaves the app servers out: `npm
# start` builds them in the background (sandbox activations that need one wait for that build).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_CLI_VERSION="v1.5.1"

log() { printf '[ensure-deps] %s\n' "$*" >&2; }
die() { printf '[ensure-deps] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "step failed at line ${LINENO}: ${BASH_COMMAND}"' ERR

# --- Debian packages -------------------------------------------------------------------------
# package name -> a file that proves it is installed (faster and clearer than asking dpkg for each)
declare -A APT_PACKAGES=(
  [postgresql-15]=/usr/lib/postgresql/15/bin/postgres
  [nats-server]=/usr/sbin/nats-server
  [pdns-server]=/usr/sbin/pdns_server
  [pdns-backend-sqlite3]=/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
  [restic]=/usr/bin/restic
  [openssh-server]=/usr/sbin/sshd
  [openssh-client]=/usr/bin/ssh
  [nix-bin]=/usr/bin/nix-instantiate
  [iproute2]=/usr/sbin/ip
  [sqlite3]=/usr/bin/sqlite3
  [jq]=/usr/bin/jq
  # Real app servers on sandbox machines (TURN for Matrix calls, the reverse proxy in front of apps).
  [coturn]=/usr/bin/turnserver
  [nginx]=/usr/sbin/nginx
  [libnginx-mod-stream]=/usr/lib/nginx/modules/ngx_stream_module.so
)
if [[ "${1:-}" == "--list-packages" ]]; then
  for pkg in "${!APT_PACKAGES[@]}"; do printf '%s %s\n' "$pkg" "${APT_PACKAGES[$pkg]}"; done | sort
  exit 0
fi

[[ "$(id -u)" == 0 ]] || die "run as root (apt-get and the postgres user switch need it)"

missing=()
for pkg in "${!APT_PACKAGES[@]}"; do
  [[ -e "${APT_PACKAGES[$pkg]}" ]] || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
  for pkg in "${missing[@]}"; do
    [[ -e "${APT_PACKAGES[$pkg]}" ]] || die "$pkg installed but ${APT_PACKAGES[$pkg]} is still missing"
  done
  # The packages may start system services on their default ports; the platform runs its own.
  for service in postgresql nats-server pdns ssh coturn nginx; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
      systemctl stop "$service" >&2 || true
      systemctl disable "$service" >/dev/null 2>&1 || true
    fi
  done
else
  log "apt: all packages present"
fi

# --- Temporal CLI (dev server) ---------------------------------------------------------------
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
if command -v go >/dev/null 2>&1; then
  temporal_bin="$(go env GOPATH)/bin/temporal"
else
  temporal_bin="/root/go/bin/temporal"
fi
if [[ -n "${FEDOPS_TEMPORAL_BIN:-}" && -x "${FEDOPS_TEMPORAL_BIN}" ]]; then
  log "temporal: using FEDOPS_TEMPORAL_BIN=${FEDOPS_TEMPORAL_BIN}"
elif [[ -x "$temporal_bin" ]]; then
  log "temporal: present at $temporal_bin"
else
  command -v go >/dev/null 2>&1 || die "Go is needed to build the Temporal CLI (go install) and was not found"
  log "temporal: building github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION} (about 4 minutes)"
  go install "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}" >&2 \
    || die "go install of the Temporal CLI failed"
  [[ -x "$temporal_bin" ]] || die "go install finished but $temporal_bin is missing"
  log "temporal: built $temporal_bin"
fi

# --- S3 server (versitygw, the backups' object storage) ---------------------------------------
# Built once with Go like the Temporal CLI, only when its binary is missing.
VERSITYGW_VERSION="v1.8.0"
if command -v go >/dev/null 2>&1; then
  versitygw_bin="$(go env GOPATH)/bin/versitygw"
else
  versitygw_bin="/root/go/bin/versitygw"
fi
if [[ -n "${FEDOPS_VERSITYGW_BIN:-}" && -x "${FEDOPS_VERSITYGW_BIN}" ]]; then
  log "versitygw: using FEDOPS_VERSITYGW_BIN=${FEDOPS_VERSITYGW_BIN}"
elif [[ -x "$versitygw_bin" ]]; then
  log "versitygw: present at $versitygw_bin"
else
  command -v go >/dev/null 2>&1 || die "Go is needed to build versitygw (go install) and was not found"
  log "versitygw: building github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION} (about 1 minute)"
  go install "github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION}" >&2 \
    || die "go install of versitygw failed"
  [[ -x "$versitygw_bin" ]] || die "go install finished but $versitygw_bin is missing"
  log "versitygw: built $versitygw_bin"
fi

# --- npm packages ----------------------------------------------------------------------------
command -v npm >/dev/null 2>&1 || die "node/npm not found (need Node >= 20.19)"
cd "$REPO_ROOT"
# By content, not by file time: a checkout that touches but does not change the lock file reinstalls nothing.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f node_modules/.fedops-lock.sha256 || "$(cat node_modules/.fedops-lock.sha256)" != "$lock_hash" ]]; then
  log "npm: npm ci"
  npm ci --no-audit --no-fund >&2 || die "npm ci failed"
  echo "$lock_hash" > node_modules/.fedops-lock.sha256
else
  log "npm: node_modules up to date"
fi

# --- Real app servers (Dendrite, Gitea), built once with Go --------------------------------------
if [[ "${1:-}" == "--app-servers-later" ]]; then
  log "app servers: left to the caller (npm start builds them in the background)"
else
  bash "$REPO_ROOT/scripts/ensure-app-servers.sh" || die "scripts/ensure-app-servers.sh failed"
fi

log "done"
