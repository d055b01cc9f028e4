"""Credentials for a link: the Authorization header, secret values checked before use, and
exception text scrubbed of anything that could carry one.

A token file with a second line once made h11 raise `Illegal header value b'Bearer <token>'`,
and that text went to the log and the unauthenticated status page (issue #12). Values are now
checked here, so a bad one fails with reason secret_file naming the file, never the value; and
`redact` keeps an HTTP library's own wording out of messages where it could quote one.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable
from pathlib import Path

import httpx

from exporter.config.models import Link
from exporter.sources.model import SourceError

# Quoted text (h11 quotes header values, other libraries quote URLs or hosts) and URLs (they may
# carry userinfo or a query) are what an exception message can leak; the rest is safe wording.
_QUOTED = re.compile(r"""b?(['"]).*?(?:\1|$)""", re.DOTALL)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


def check_secret(value: str, what: str) -> str:
    """`value` if it can go into a header as it is; else secret_file naming `what` only."""
    if not value:
        raise SourceError("secret_file", "-", f"{what} is empty")
    bad = next((c for c in value if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise SourceError(
            "secret_file",
            "-",
            f"{what} contains the control character U+{ord(bad):04X} (a second line, a CR or "
            "a NUL?); a secret must be a single line",
        )
    return value


class SecretAuth(httpx.Auth):
    """Sets the Authorization header; a *_file secret is read at each request so that a rotated
    password or token works without a restart."""

    def __init__(self, scheme: str, value: str | None, file: Path | None, user: str | None):
        self._scheme, self._value, self._file, self._user = scheme, value, file, user
        # The values last put in a header, to scrub from exception text (see LinkClient).
        self.seen: tuple[str, ...] = ()

    def _secret(self) -> str:
        if self._file is None:
            field = "basic_auth.password" if self._user is not None else "authorization.credentials"
            return check_secret(self._value or "", f"the configured {field}")
        what = f"secret file {str(self._file)!r}"
        try:
            raw = self._file.read_bytes()
        except OSError as exc:
            raise SourceError("secret_file", "-", f"cannot read {what}: {exc.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SourceError("secret_file", "-", f"{what} is not valid UTF-8") from None
        # Surrounding whitespace is the newline editors and `echo` add, not part of the secret.
        return check_secret(text.strip(), what)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        secret = self._secret()
        if self._user is not None:
            check_secret(self._user, "the configured basic_auth.username")
            header = httpx.BasicAuth(self._user, secret)._auth_header
        else:
            header = f"{self._scheme} {secret}"
        self.seen = (secret, header)
        request.headers["Authorization"] = header
        yield request


def auth_for(link: Link) -> httpx.Auth | None:
    if link.basic_auth is not None:
        basic = link.basic_auth
        password = basic.password.get_secret_value() if basic.password else None
        return SecretAuth("Basic", password, basic.password_file, basic.username)
    if link.authorization is not None:
        authz = link.authorization
        value = authz.credentials.get_secret_value() if authz.credentials else None
        return SecretAuth(authz.type, value, authz.credentials_file, None)
    return None


def known_secrets(auth: httpx.Auth | None) -> tuple[str, ...]:
    """What `auth` has sent, in every form it may appear in text: as is, Basic's base64."""
    if not isinstance(auth, SecretAuth):
        return ()
    forms = list(auth.seen)
    for value in auth.seen:
        if value.startswith("Basic "):
            forms.append(value.removeprefix("Basic "))
    return tuple(f for f in forms if len(f) >= 4)


def redact(exc: BaseException, secrets: Iterable[str] = (), *, keep_quoted: bool = False) -> str:
    """One short line about `exc` with quoted text, URLs and the given secrets taken out.

    `keep_quoted` for OpenSSL's text, which quotes only the host name it checked (useful to see
    which name failed, and never a header).
    """
    text = str(exc) or type(exc).__name__
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "<secret>")
    if not keep_quoted:
        text = _QUOTED.sub("'<redacted>'", text)
    text = _URL.sub("<url>", text)
    return (text.splitlines() or [type(exc).__name__])[0][:200]
