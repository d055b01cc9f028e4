#!/usr/bin/env bash
# Installs everything the tests need and runs them all: Debian's prometheus (promtool and the
# server for the end-to-end tests), a virtualenv with the project and its dev extras, then
# lint, type checks, the generated-files check and the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null || ! command -v openssl >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus openssl >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"

echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== generated dashboards and rules"; .venv/bin/python -m dashboards --check
echo "== pytest"; .venv/bin/pytest "$@"
