#!/usr/bin/env bash
# Installs everything ChannelGuard needs on a Debian/Ubuntu machine: system libraries (zbar for
# barcode decoding, poppler for label checks, chromium for the browser tests, PostgreSQL for the
# production-database tests) and a virtualenv in .venv with the project and its dev tools.
# Safe to run any number of times: it installs only what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
need=()
ldconfig -p 2>/dev/null | grep libzbar.so.0 >/dev/null || need+=(libzbar0)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
if [ "${CG_INSTALL_TEST_DEPS:-1}" = 1 ]; then
  command -v chromium >/dev/null || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# The project (with its dev extras) is reinstalled whenever pyproject.toml changes.
stamp=.venv/.channelguard-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x .venv/bin/pytest ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi
echo "installed: .venv/bin/channelguard"
