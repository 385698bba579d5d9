#!/usr/bin/env bash
# Installs what building and testing the driver needs, on a fresh Debian/Ubuntu machine:
# unixODBC (driver manager, isql, odbcinst, headers for the odbc-api test client) from the
# system packages, the Python test clients in .venv, the npm tools in node_modules, and
# (optional, as root) Debian's chromium for the real-browser OAuth test.
# Usage: scripts/setup.sh [--odbc-only]
set -euo pipefail
cd "$(dirname "$0")/.."

need_odbc() {
  command -v isql >/dev/null && command -v odbcinst >/dev/null &&
    [ -e /usr/include/sql.h ] && ldconfig -p | grep -q 'libodbcinst.so '
}

if ! need_odbc; then
  packages="unixodbc unixodbc-dev odbcinst"
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing $packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
  else
    echo "setup: unixODBC is missing; run as root:  apt-get install -y $packages" >&2
    exit 1
  fi
fi
[ "${1:-}" = "--odbc-only" ] && exit 0

if [ ! -x .venv/bin/pytest ] || ! .venv/bin/python -c 'import pyodbc' 2>/dev/null; then
  echo "setup: creating .venv with the Python test clients"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt
fi

if [ ! -x node_modules/.bin/prism ] || [ ! -e node_modules/playwright-core/package.json ]; then
  echo "setup: installing the OpenAPI validating proxy and playwright-core (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Debian's Chromium, which tests/python/test_oauth.py drives headless through playwright-core
# (which downloads no browser of its own) to click the sandbox's consent page. Optional: without
# it that one test skips, saying why.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing chromium for the OAuth browser test"
    if ! { apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "setup: chromium could not be installed; the real-browser OAuth test will skip" >&2
    fi
  else
    echo "setup: chromium is missing (as root: apt-get install -y chromium); the" \
      "real-browser OAuth test will skip" >&2
  fi
fi
