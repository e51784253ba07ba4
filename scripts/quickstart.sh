#!/usr/bin/env bash
# One command from a fresh clone to a running service on SQLite with the demo data loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
CG_INSTALL_TEST_DEPS=0 ./scripts/install.sh
.venv/bin/channelguard demo
exec .venv/bin/channelguard serve "$@"
