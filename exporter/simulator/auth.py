"""Credential check: basic auth or a personal access token (Bearer), admin or plain user."""

from __future__ import annotations

import base64
import binascii
import hmac

from exporter.simulator.model import AuthOutcome, SimInstance


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def authenticate(instance: SimInstance, header: str | None) -> AuthOutcome:
    """Classify an Authorization header against the instance's configured accounts."""
    if not header:
        return "anonymous"
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        if _same(instance.token, value):
            return "admin"
        if _same(instance.viewer_token, value):
            return "user"
        return "invalid"
    if scheme.lower() != "basic":
        return "invalid"
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "invalid"
    username, sep, password = decoded.partition(":")
    if not sep:
        return "invalid"
    if username == instance.username and _same(password, instance.password):
        return "admin"
    viewer = instance.viewer_username
    if viewer is not None and username == viewer and _same(password, instance.viewer_password):
        return "user"
    return "invalid"
