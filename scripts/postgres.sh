#!/usr/bin/env bash
# Starts the machine's PostgreSQL cluster (Debian's packaging) and makes a test role and database.
# Prints the SQLAlchemy URL to use as CG_TEST_POSTGRES_URL. Needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! $SUDO pg_lsclusters -h | grep -q "^$version main"; then
  $SUDO pg_createcluster "$version" main >/dev/null
fi
$SUDO pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  $SUDO -u postgres pg_isready -q -h 127.0.0.1 2>/dev/null && break
  [ -z "$SUDO" ] && su postgres -c "pg_isready -q -h 127.0.0.1" 2>/dev/null && break
  sleep 1
done
psql_as_postgres() {
  if [ -z "$SUDO" ]; then su postgres -c "psql -qtAc \"$1\""; else sudo -u postgres psql -qtAc "$1"; fi
}
[ "$(psql_as_postgres "SELECT 1 FROM pg_roles WHERE rolname='cg'")" = 1 ] ||
  psql_as_postgres "CREATE ROLE cg LOGIN SUPERUSER PASSWORD 'cg'" >/dev/null
[ "$(psql_as_postgres "SELECT 1 FROM pg_database WHERE datname='cg'")" = 1 ] ||
  psql_as_postgres "CREATE DATABASE cg OWNER cg" >/dev/null
echo "postgresql+psycopg://cg:cg@127.0.0.1:5432/cg"
