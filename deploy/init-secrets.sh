#!/usr/bin/env bash
# Prepares a checkout for `docker compose up`: writes .env (from deploy/.env.example, with every
# change-me value and FEDOPS_SECRET_KEY replaced by random ones) and the platform's SSH key pair in
# deploy/secrets/. Never overwrites an existing file. Prints no secret.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

env_file=.env
key_file=deploy/secrets/fedops_ssh_ed25519

random_hex() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }
random_key32() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }

if [[ -e "$env_file" ]]; then
  echo "init-secrets: $env_file exists; left as it is" >&2
else
  umask 077
  while IFS= read -r line || [[ -n "$line" ]]; do
    case "$line" in
      FEDOPS_SECRET_KEY=*) echo "FEDOPS_SECRET_KEY=$(random_key32)" ;;
      # nats-server parses these as config values: a leading letter keeps hex from reading as a number.
      FEDOPS_NATS_PASSWORD_*=change-me*) echo "${line%%=*}=n$(random_hex)" ;;
      *=change-me*) echo "${line%%=*}=$(random_hex)" ;;
      *) echo "$line" ;;
    esac
  done < deploy/.env.example > "$env_file"
  echo "init-secrets: wrote $env_file (random secrets; keep a copy of FEDOPS_SECRET_KEY offline)" >&2
fi

if [[ -e "$key_file" ]]; then
  echo "init-secrets: $key_file exists; left as it is" >&2
else
  mkdir -p "$(dirname "$key_file")"
  ssh-keygen -q -t ed25519 -N '' -C fedops-platform -f "$key_file"
  chmod 600 "$key_file"
  chmod 644 "$key_file.pub"
  echo "init-secrets: wrote $key_file and $key_file.pub" >&2
fi

# The deployer runs as uid 1000 (the image's `node` user) and must be able to read the private key.
if [[ "$(stat -c %u "$key_file")" != 1000 ]]; then
  if [[ "$(id -u)" == 0 ]]; then
    chown 1000:1000 "$key_file"
    echo "init-secrets: $key_file now belongs to uid 1000 (the deployer's user)" >&2
  else
    echo "init-secrets: WARNING: $key_file is not owned by uid 1000; run: sudo chown 1000:1000 $key_file" >&2
  fi
fi
