#!/bin/sh
# Sets PostgreSQL up for fedops. The postgres image runs it when it starts on an empty volume
# (docker-entrypoint-initdb.d). Everything here is idempotent, so it may run again at any time, for
# example after changing a password in .env:
#   docker compose up -d postgres
#   docker compose exec -u postgres postgres /docker-entrypoint-initdb.d/10-fedops.sh
#
# - Database fedops and in it one role per service (fedops_tenant_api, fedops_provisioner,
#   fedops_deployer, fedops_dns, fedops_backup; passwords FEDOPS_DB_PASSWORD_<SERVICE>), each owning
#   its service's schema and reaching nothing else: fedops-service-roles.psql, generated from
#   libs/testing/src/infra/service-roles.ts, the set-up that `npm start` and the tests apply too.
# - Role temporal (TEMPORAL_DB_PASSWORD) and the databases temporal and temporal_visibility, which
#   Temporal's auto-setup fills.
set -eu
: "${FEDOPS_DB_PASSWORD_TENANT_API:?FEDOPS_DB_PASSWORD_TENANT_API is not set}"
: "${FEDOPS_DB_PASSWORD_PROVISIONER:?FEDOPS_DB_PASSWORD_PROVISIONER is not set}"
: "${FEDOPS_DB_PASSWORD_DEPLOYER:?FEDOPS_DB_PASSWORD_DEPLOYER is not set}"
: "${FEDOPS_DB_PASSWORD_DNS:?FEDOPS_DB_PASSWORD_DNS is not set}"
: "${FEDOPS_DB_PASSWORD_BACKUP:?FEDOPS_DB_PASSWORD_BACKUP is not set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}"
initdb_dir="${FEDOPS_INITDB_DIR:-/docker-entrypoint-initdb.d}"
superuser="${POSTGRES_USER:-postgres}"

psql -X -q -v ON_ERROR_STOP=1 --username "$superuser" --dbname postgres \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
SET client_min_messages = warning;
SELECT 'CREATE DATABASE fedops'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'fedops')\gexec

DO $$
BEGIN
  CREATE ROLE temporal LOGIN;
EXCEPTION WHEN duplicate_object THEN
  NULL;
END
$$;
ALTER ROLE temporal WITH LOGIN PASSWORD :'temporal_password';
SELECT 'CREATE DATABASE temporal OWNER temporal'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'temporal')\gexec
SELECT 'CREATE DATABASE temporal_visibility OWNER temporal'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'temporal_visibility')\gexec
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;
SQL

psql -X -q -v ON_ERROR_STOP=1 --username "$superuser" --dbname fedops \
  -v password_tenant_api="$FEDOPS_DB_PASSWORD_TENANT_API" \
  -v password_provisioner="$FEDOPS_DB_PASSWORD_PROVISIONER" \
  -v password_deployer="$FEDOPS_DB_PASSWORD_DEPLOYER" \
  -v password_dns="$FEDOPS_DB_PASSWORD_DNS" \
  -v password_backup="$FEDOPS_DB_PASSWORD_BACKUP" \
  -f "$initdb_dir/fedops-service-roles.psql"
