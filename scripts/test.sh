#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest on SQLite and on PostgreSQL.
# PostgreSQL: CG_TEST_POSTGRES_URL if set, else the machine's own cluster (started here).
# Extra arguments go to pytest, e.g. ./scripts/test.sh -k scans
set -euo pipefail
cd "$(dirname "$0")/.."
# Installs whatever is missing (system packages, the venv, dev extras), even after quickstart.sh.
CG_INSTALL_TEST_DEPS=1 ./scripts/install.sh
# A skipped test fails: a missing browser, database or data file never passes unnoticed.
export CG_TEST_NO_SKIPS=1
if [ -z "${CG_TEST_POSTGRES_URL:-}" ]; then
  CG_TEST_POSTGRES_URL=$(./scripts/postgres.sh | tail -1)
  export CG_TEST_POSTGRES_URL
fi
.venv/bin/ruff check .
.venv/bin/mypy
echo "== tests on SQLite =="
CG_TEST_DB=sqlite .venv/bin/pytest -p no:cacheprovider "$@"
echo "== tests on PostgreSQL =="
CG_TEST_DB=postgres .venv/bin/pytest -p no:cacheprovider "$@"
