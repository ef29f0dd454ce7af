#!/bin/sh
# Runs once, when the postgres container starts on an empty volume (docker-entrypoint-initdb.d).
# Creates the role and database the fedops services share (each service keeps its tables in its
# own schema and runs its own migrations), and the role and databases Temporal's auto-setup fills.
# Passwords come from the environment (see docker-compose.yml and deploy/.env.example); changing
# them later needs ALTER ROLE, since this script does not run again.
set -eu
: "${FEDOPS_DB_PASSWORD:?FEDOPS_DB_PASSWORD is not set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v fedops_password="$FEDOPS_DB_PASSWORD" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE fedops LOGIN PASSWORD :'fedops_password';
CREATE DATABASE fedops OWNER fedops;
REVOKE ALL ON DATABASE fedops FROM PUBLIC;

CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;
SQL
