#!/usr/bin/env bash
# Regenerates sbom.cdx.json, the CycloneDX SBOM of what the Docker image installs: every
# distribution requirements.lock pins, at its locked version and with its hashes, and the
# exporter itself (name, version, licence from pyproject.toml) as the component it describes.
# scripts/lock.sh runs it after relocking; tests/deploy/test_sbom.py fails until it is current.
# Usage: scripts/sbom.sh [OUTPUT]   (default: sbom.cdx.json at the repository root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m -- "${1:-$root/sbom.cdx.json}")"
cd "$root"
# The generator is cyclonedx-bom from the dev extra; PYTHON picks another interpreter (tests).
python="${PYTHON:-.venv/bin/python}"
# --output-reproducible drops the timestamp and the random serial number, so an unchanged lock
# gives the same bytes and a diff shows what the lock changed; SOURCE_DATE_EPOCH would bring a
# timestamp back.
unset SOURCE_DATE_EPOCH
# A requirements file carries no dependency graph, which the generator warns about every run.
export PYTHONWARNINGS="ignore:The Component this BOM is describing:UserWarning"
exec "$python" -m cyclonedx_py requirements requirements.lock --pyproject pyproject.toml \
  --mc-type application --spec-version 1.6 --output-format JSON --output-reproducible \
  --output-file "$out"
