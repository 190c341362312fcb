#!/usr/bin/env bash
# Idempotent: installs PostgreSQL if missing, makes the cluster listen on 127.0.0.1 only, starts it,
# creates the zkkyc role and the zkkyc_test database, and prints the TEST_DATABASE_URL export line.
# Usage (CI): eval "$(.ci/pg-setup.sh | tail -n 1)"
set -euo pipefail

PG_USER="${PG_USER:-zkkyc}"
PG_PASSWORD="${PG_PASSWORD:-zkkyc}"
PG_DB="${PG_DB:-zkkyc_test}"
PG_PORT="${PG_PORT:-5432}"

log() { echo "[pg-setup] $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

PG_VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
CLUSTER=main
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION $CLUSTER"; then
  log "creating cluster $PG_VERSION/$CLUSTER"
  pg_createcluster "$PG_VERSION" "$CLUSTER" --port "$PG_PORT" >&2
fi
CONF="/etc/postgresql/$PG_VERSION/$CLUSTER/postgresql.conf"
# Only loopback: the test database must never be reachable from outside the machine.
if ! grep -q "^listen_addresses = '127.0.0.1'" "$CONF"; then
  sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$CONF"
  grep -q "^listen_addresses" "$CONF" || echo "listen_addresses = '127.0.0.1'" >>"$CONF"
  RESTART=1
fi
if ! grep -q "^port = $PG_PORT" "$CONF"; then
  sed -i "s/^#\?port = .*/port = $PG_PORT/" "$CONF"
  RESTART=1
fi

STATUS="$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}')"
if [ "$STATUS" != "online" ]; then
  log "starting cluster"
  pg_ctlcluster "$PG_VERSION" "$CLUSTER" start >&2
elif [ "${RESTART:-0}" = 1 ]; then
  log "restarting cluster for the new listen address"
  pg_ctlcluster "$PG_VERSION" "$CLUSTER" restart >&2
fi

for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p "$PG_PORT" -q && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$PG_PORT" >&2

psql_admin() { runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qAt "$@"; }

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != 1 ]; then
  log "creating role $PG_USER"
  psql_admin -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'"
else
  psql_admin -c "ALTER ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
  log "creating database $PG_DB"
  psql_admin -c "CREATE DATABASE $PG_DB OWNER $PG_USER"
fi

echo "export TEST_DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
