"""Certificates made for a test with openssl (scripts/test.sh installs it)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed(directory: Path, name: str = "server") -> tuple[Path, Path]:
    return _make(directory, name, "-nodes")


def with_encrypted_key(directory: Path, name: str = "client") -> tuple[Path, Path]:
    """A certificate whose key is encrypted with a pass phrase (that the exporter never gets)."""
    return _make(directory, name, "-passout", "pass:not-for-the-exporter")


def _make(directory: Path, name: str, *key_options: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            *key_options,
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
