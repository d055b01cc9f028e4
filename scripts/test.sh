#!/usr/bin/env bash
# Installs everything the tests need and runs them all: Debian's prometheus (promtool and the
# server for the end-to-end tests), a virtualenv with the project and its dev extras, then
# lint, type checks, the generated-files check and the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# amtool, chromium and systemd-analyze check the deployment files and the status page; jq runs
# the README's SBOM comparison; tinyproxy is the real HTTP proxy of tests/faults/test_proxy.py.
needed="promtool prometheus openssl amtool chromium systemd-analyze jq tinyproxy"
if ! (for tool in $needed; do command -v "$tool" >/dev/null || exit 1; done); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus openssl \
    prometheus-alertmanager chromium systemd jq tinyproxy >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"

echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== generated dashboards and rules"; .venv/bin/python -m dashboards --check
echo "== pytest"; .venv/bin/pytest "$@"
