#!/usr/bin/env bash
# Regenerates requirements.lock, the pinned and hashed runtime dependencies the Docker image
# installs (pip --require-hashes), from pyproject.toml's [project] dependencies. Run it after
# changing those; tests/deploy/test_lock.py fails until the lock covers them again. The SBOM
# (sbom.cdx.json, scripts/sbom.sh) is regenerated with it, so the two are committed together.
set -euo pipefail
cd "$(dirname "$0")/.."
# --universal: one lock for every platform and Python the image may use (amd64 and arm64).
.venv/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
  --generate-hashes --custom-compile-command scripts/lock.sh --quiet -o requirements.lock
exec scripts/sbom.sh
