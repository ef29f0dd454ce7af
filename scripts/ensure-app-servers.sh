#!/usr/bin/env bash
# Builds the real app servers that sandbox machines run in place of stand-in pages, once, into
# ~/.cache/fedops/app-servers/ (libs/sandbox-host/src/app-servers.ts finds them there):
#   dendrite-<version>/bin/{dendrite,generate-keys,generate-config,create-account}  (Matrix homeserver)
#   gitea-<version>/bin/gitea, gitea-<version>/share/{options,templates,public}      (Forgejo's upstream)
# `--check` only says whether they are (exit 0) or not (1). Idempotent and fast when both are present.
# Each binary is built under another name and renamed into place, and a lock keeps two runs from
# building at once, so an interrupted or concurrent run never leaves a half-written binary. Needs Go
# (on PATH or at /usr/local/go/bin) and the Go module proxy.
set -euo pipefail

# Keep in step with libs/sandbox-host/src/app-servers.ts (APP_SERVER_VERSIONS), which finds the binaries.
DENDRITE_VERSION="v0.13.8"
GITEA_VERSION="v1.27.3"

APP_SERVERS_DIR="${HOME}/.cache/fedops/app-servers"
DENDRITE_TOOLS=(dendrite generate-keys generate-config create-account)

log() { printf '[app-servers] %s\n' "$*" >&2; }
die() { printf '[app-servers] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "step failed at line ${LINENO}: ${BASH_COMMAND}"' ERR

# `--check`: exit 0 when every binary and Gitea's run-time files are in place, 1 otherwise; builds nothing.
if [[ "${1:-}" == "--check" ]]; then
  for tool in "${DENDRITE_TOOLS[@]}"; do
    [[ -x "$APP_SERVERS_DIR/dendrite-${DENDRITE_VERSION}/bin/$tool" ]] || exit 1
  done
  [[ -x "$APP_SERVERS_DIR/gitea-${GITEA_VERSION}/bin/gitea" ]] || exit 1
  [[ -d "$APP_SERVERS_DIR/gitea-${GITEA_VERSION}/share/templates" ]] || exit 1
  exit 0
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
command -v go >/dev/null 2>&1 || die "Go is needed to build the app servers and was not found"
command -v flock >/dev/null 2>&1 || die "flock (util-linux) is needed and was not found"
# The build must not fetch a newer toolchain behind our back.
export GOTOOLCHAIN=local

mkdir -p "$APP_SERVERS_DIR"
exec 9>"$APP_SERVERS_DIR/.lock"
if ! flock -n 9; then
  log "another run is building; waiting for it"
  flock 9
fi

work_dir=""
# The build folder (a copy of a read-only module) goes, whether the build finished or not.
cleanup() {
  if [[ -n "$work_dir" ]]; then
    chmod -R u+w "$work_dir" 2>/dev/null || true
    rm -rf "$work_dir"
  fi
}
trap cleanup EXIT
# Build folders of a run that was killed (we hold the lock, so no other run is using them).
for stale in "$APP_SERVERS_DIR"/.dendrite-build.* "$APP_SERVERS_DIR"/.gitea-build.* "$APP_SERVERS_DIR"/.gitea-share.*; do
  [[ -e "$stale" ]] || continue
  log "removing $stale, left by an interrupted run"
  chmod -R u+w "$stale" 2>/dev/null || true
  rm -rf "$stale"
done

# --- Dendrite --------------------------------------------------------------------------------
dendrite_bin="$APP_SERVERS_DIR/dendrite-${DENDRITE_VERSION}/bin"
dendrite_missing=()
for tool in "${DENDRITE_TOOLS[@]}"; do
  [[ -x "$dendrite_bin/$tool" ]] || dendrite_missing+=("$tool")
done
if ((${#dendrite_missing[@]} == 0)); then
  log "dendrite ${DENDRITE_VERSION}: cached in $dendrite_bin"
else
  log "building dendrite ${DENDRITE_VERSION} once (${dendrite_missing[*]}; about 2 minutes on 2 cores)"
  started=$SECONDS
  mkdir -p "$dendrite_bin"
  work_dir="$(mktemp -d "$APP_SERVERS_DIR/.dendrite-build.XXXXXX")"
  packages=()
  for tool in "${dendrite_missing[@]}"; do packages+=("github.com/matrix-org/dendrite/cmd/${tool}@${DENDRITE_VERSION}"); done
  # One go install for all: they share the module, so it is resolved and compiled once.
  (cd "$work_dir" && GOBIN="$work_dir" go install "${packages[@]}" >&2) \
    || die "go install of dendrite ${DENDRITE_VERSION} (${dendrite_missing[*]}) failed"
  for tool in "${dendrite_missing[@]}"; do
    [[ -x "$work_dir/$tool" ]] || die "go install finished but $work_dir/$tool is missing"
    mv -f "$work_dir/$tool" "$dendrite_bin/$tool"
  done
  cleanup; work_dir=""
  log "dendrite ${DENDRITE_VERSION}: built in $((SECONDS - started)) s"
fi

# --- Gitea -----------------------------------------------------------------------------------
# `go install` refuses the module's replace directives, so build a writable copy of the module.
# Built without the `bindata` tag, Gitea reads its locales, templates and public files from
# STATIC_ROOT_PATH at run time: they are kept beside the binary in gitea-<version>/share.
gitea_dir="$APP_SERVERS_DIR/gitea-${GITEA_VERSION}"
gitea_bin="$gitea_dir/bin"
gitea_share="$gitea_dir/share"
gitea_module="code.gitea.io/gitea@${GITEA_VERSION}"
gitea_module_dir() {
  local dir
  dir="$(cd "$work_dir" && go mod download -json "$gitea_module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$dir" && -f "$dir/go.mod" ]] || die "go mod download $gitea_module gave no module folder"
  printf '%s\n' "$dir"
}
if [[ -d "$gitea_share/options/locale" && -d "$gitea_share/templates" ]]; then
  log "gitea ${GITEA_VERSION}: run-time files cached in $gitea_share"
else
  log "gitea ${GITEA_VERSION}: copying its run-time files (options, templates, public) to $gitea_share"
  mkdir -p "$gitea_dir"
  work_dir="$(mktemp -d "$APP_SERVERS_DIR/.gitea-share.XXXXXX")"
  module_dir="$(gitea_module_dir)"
  mkdir "$work_dir/share"
  for part in options templates public; do cp -r "$module_dir/$part" "$work_dir/share/$part"; done
  chmod -R u+w "$work_dir/share" # the module cache is read-only
  rm -rf "$gitea_share"
  mv "$work_dir/share" "$gitea_share"
  cleanup; work_dir=""
fi
if [[ -x "$gitea_bin/gitea" ]]; then
  log "gitea ${GITEA_VERSION}: cached in $gitea_bin"
else
  log "building gitea ${GITEA_VERSION} once (about 7 minutes on 2 cores, 1.5 GB of memory)"
  started=$SECONDS
  mkdir -p "$gitea_bin"
  work_dir="$(mktemp -d "$APP_SERVERS_DIR/.gitea-build.XXXXXX")"
  module_dir="$(gitea_module_dir)"
  cp -r "$module_dir" "$work_dir/src"
  chmod -R u+w "$work_dir/src"
  version="${GITEA_VERSION#v}"
  (
    cd "$work_dir/src"
    go mod download >&2
    go build -trimpath -ldflags "-s -w -X main.Version=${version}" -o "$work_dir/gitea.partial" . >&2
  ) || die "go build of gitea ${GITEA_VERSION} failed"
  mv -f "$work_dir/gitea.partial" "$gitea_bin/gitea"
  cleanup; work_dir=""
  log "gitea ${GITEA_VERSION}: built in $((SECONDS - started)) s"
fi

# --- Each binary runs -------------------------------------------------------------------------
dendrite_version="$("$dendrite_bin/dendrite" --version 2>&1)" \
  || die "$dendrite_bin/dendrite --version failed: $dendrite_version"
[[ "$dendrite_version" == *"${DENDRITE_VERSION#v}"* ]] \
  || die "$dendrite_bin/dendrite reports '$dendrite_version', expected ${DENDRITE_VERSION}"
for tool in generate-keys generate-config create-account; do
  # The tools have no --version; -help prints their usage (a binary that cannot run prints none).
  usage="$("$dendrite_bin/$tool" -help 2>&1 || true)"
  [[ "$usage" == *"Usage"* ]] || die "$dendrite_bin/$tool does not run: $usage"
done
gitea_version="$("$gitea_bin/gitea" --version 2>&1)" || die "$gitea_bin/gitea --version failed: $gitea_version"
[[ "$gitea_version" == *"${GITEA_VERSION#v}"* ]] \
  || die "$gitea_bin/gitea reports '$gitea_version', expected ${GITEA_VERSION}"
log "dendrite: $dendrite_version"
log "gitea: $gitea_version"
log "done"
