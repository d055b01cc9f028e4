"""SSL contexts for links: shared per TLS configuration and per content of its files.

Building a context costs ~25 ms CPU and ~0.8 MiB (reference/performance.md), so 600 links
each building their own cost 16 s and 515 MiB; shared, 0.15 s and 28 MiB. The cache is keyed by
the settings *and* a digest of each file, so a rotated ca_file, cert_file or key_file gives a
new context at the next reload (issue #12: keyed by path, it was read once forever). Loading
never prompts: an encrypted key_file is a `tls` failure, not a process waiting on its TTY.
"""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

from exporter.config.models import TLSConfig
from exporter.sources.model import SourceError

_FILES = ("ca_file", "cert_file", "key_file")
Key = tuple[TLSConfig, tuple[str, ...]]


class TLSProblem(Exception):
    """Why the TLS material of a link cannot be used: the field and a message without content."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message

    def source_error(self) -> SourceError:
        return SourceError("tls", "-", f"tls_config.{self.field}: {self.message}")


class _PassPhraseAsked(Exception):
    pass


def _no_pass_phrase() -> str:
    # Without a password callback OpenSSL reads a pass phrase from the terminal and the whole
    # process waits on it; raising here makes load_cert_chain fail instead.
    raise _PassPhraseAsked


def _digest(field: str, path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise TLSProblem(field, f"cannot read {str(path)!r}: {exc.strerror}") from None


def _settings(tls: TLSConfig) -> TLSConfig:
    # server_name goes into each request (SNI), not into the context.
    return tls.model_copy(update={"server_name": None})


def _key(tls: TLSConfig) -> Key:
    files = ((f, getattr(tls, f)) for f in _FILES)
    return _settings(tls), tuple(_digest(f, p) for f, p in files if p is not None)


def build(tls: TLSConfig) -> ssl.SSLContext:
    """A context for `tls`, or TLSProblem naming the field and file that cannot be used."""
    try:
        context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise TLSProblem(
            "ca_file", f"{str(tls.ca_file)!r} holds no usable CA: {_why(exc)}"
        ) from None
    if tls.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.cert_file and tls.key_file:
        try:
            context.load_cert_chain(str(tls.cert_file), str(tls.key_file), password=_no_pass_phrase)
        except _PassPhraseAsked:
            raise TLSProblem(
                "key_file",
                f"{str(tls.key_file)!r} is encrypted; a pass phrase cannot be given, store the "
                "key unencrypted (openssl pkey -in KEY -out KEY.plain) with restricted permissions",
            ) from None
        except (OSError, ssl.SSLError) as exc:
            raise TLSProblem(
                "cert_file",
                f"{str(tls.cert_file)!r} and key_file {str(tls.key_file)!r} are not a usable "
                f"certificate and key: {_why(exc)}",
            ) from None
    return context


def _why(exc: OSError | ssl.SSLError) -> str:
    # OpenSSL's reason ("NO_CERTIFICATE_OR_CRL_FOUND", "KEY_VALUES_MISMATCH"), never content.
    if isinstance(exc, ssl.SSLError):
        return exc.reason or exc.__class__.__name__
    return exc.strerror or exc.__class__.__name__


def check_tls(tls: TLSConfig) -> list[str]:
    """Problems with the TLS material of a link, as `field: message` lines (--config.check)."""
    try:
        _key(tls)
        build(tls)
    except TLSProblem as problem:
        return [str(problem)]
    return []


class SSLContexts:
    """One SSLContext per distinct TLS configuration and content of its files."""

    def __init__(self) -> None:
        self._contexts: dict[Key, ssl.SSLContext] = {}
        # The key each configuration was last built with: what stale() compares against.
        self._latest: dict[TLSConfig, Key] = {}

    def get(self, tls: TLSConfig) -> ssl.SSLContext:
        """The context for `tls` as its files are now; SourceError reason tls if unusable."""
        try:
            key = _key(tls)
            context = self._contexts.get(key)
            if context is None:
                context = build(tls)
        except TLSProblem as problem:
            raise problem.source_error() from None
        old = self._latest.get(key[0])
        if old is not None and old != key:
            self._contexts.pop(old, None)  # clients built on it keep it alive while they live
        self._contexts[key], self._latest[key[0]] = context, key
        return context

    def stale(self, tls: TLSConfig) -> bool:
        """Have the files of `tls` changed since its context was last built (a reload rebuilds
        the clients of stale links)?"""
        latest = self._latest.get(_settings(tls))
        if latest is None:
            return False
        try:
            return _key(tls) != latest
        except TLSProblem:
            return True

    def __len__(self) -> int:
        return len(self._contexts)
