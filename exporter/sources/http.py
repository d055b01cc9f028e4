"""HTTP for application links: one long-lived client per link, SSL contexts shared, JSON fetches
with a total deadline, a body cap, and failures turned into SourceError with a fixed reason."""

from __future__ import annotations

import asyncio
import email.utils
import json
import socket
import ssl
import time
from collections.abc import Generator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from exporter import __version__
from exporter.config.models import Link, TLSConfig
from exporter.metrics import Reason
from exporter.sources.model import SourceError

USER_AGENT = f"atlassian-license-exporter/{__version__}"
Params = Mapping[str, str | int]


class SSLContexts:
    """One SSLContext per distinct TLS configuration.

    Building a context costs ~25 ms CPU and ~0.8 MiB (reference/performance.md), so 600 links
    each building their own cost 16 s and 515 MiB; shared, 0.15 s and 28 MiB.
    """

    def __init__(self) -> None:
        self._contexts: dict[TLSConfig, ssl.SSLContext] = {}

    def get(self, tls: TLSConfig) -> ssl.SSLContext:
        key = tls.model_copy(update={"server_name": None})
        context = self._contexts.get(key)
        if context is None:
            context = self._build(tls)
            self._contexts[key] = context
        return context

    def __len__(self) -> int:
        return len(self._contexts)

    @staticmethod
    def _build(tls: TLSConfig) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
        if tls.insecure_skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if tls.cert_file and tls.key_file:
            context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
        return context


class _SecretAuth(httpx.Auth):
    """Sets the Authorization header; a *_file secret is read at each request so that a rotated
    password or token works without a restart."""

    def __init__(self, scheme: str, value: str | None, file: Path | None, user: str | None):
        self._scheme, self._value, self._file, self._user = scheme, value, file, user

    def _secret(self) -> str:
        if self._file is None:
            return self._value or ""
        try:
            return self._file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SourceError(
                "secret_file", "-", f"cannot read secret file {str(self._file)!r}: {exc.strerror}"
            ) from None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        secret = self._secret()
        if self._user is not None:
            header = httpx.BasicAuth(self._user, secret)._auth_header
        else:
            header = f"{self._scheme} {secret}"
        request.headers["Authorization"] = header
        yield request


def auth_for(link: Link) -> httpx.Auth | None:
    if link.basic_auth is not None:
        basic = link.basic_auth
        password = basic.password.get_secret_value() if basic.password else None
        return _SecretAuth("Basic", password, basic.password_file, basic.username)
    if link.authorization is not None:
        authz = link.authorization
        value = authz.credentials.get_secret_value() if authz.credentials else None
        return _SecretAuth(authz.type, value, authz.credentials_file, None)
    return None


def build_client(link: Link, contexts: SSLContexts, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        auth=auth_for(link),
        verify=contexts.get(link.tls_config),
        timeout=httpx.Timeout(timeout),
        # A few connections per link: sources fetch at most a handful of paths at once.
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        # A redirect from a REST path is a login page or a proxy; it is a failure, not data.
        follow_redirects=False,
    )


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def parse_rate_limit_reset(value: str | None, now: float) -> float | None:
    """Seconds until an X-RateLimit-Reset time: Jira Cloud sends an ISO-8601 timestamp."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _failure_for_status(response: httpx.Response, path: str) -> SourceError:
    status = response.status_code
    now = time.time()
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
    if retry_after is None:
        # Jira Cloud's 429s carry X-RateLimit-Reset, and not always a Retry-After.
        retry_after = parse_rate_limit_reset(response.headers.get("X-RateLimit-Reset"), now)
    if status == 401:
        denied = response.headers.get("X-Authentication-Denied-Reason", "")
        if (
            "CAPTCHA" in denied.upper()
            or response.headers.get("X-Seraph-LoginReason", "").upper() == "AUTHENTICATION_DENIED"
        ):
            return SourceError(
                "http_401",
                path,
                "HTTP 401: the account is locked behind a "
                "CAPTCHA; log in once in a browser to clear it (not retrying "
                "before the next interval)",
            )
        return SourceError(
            "http_401",
            path,
            "HTTP 401: authentication failed; check the "
            "credentials (not retrying before the next interval)",
        )
    if status == 403:
        return SourceError(
            "http_403", path, "HTTP 403: the account lacks the admin permission this endpoint needs"
        )
    if status == 404:
        return SourceError(
            "http_404", path, "HTTP 404: endpoint not found; check the URL and context path"
        )
    if status == 429:
        return SourceError("http_429", path, "HTTP 429: rate limited", retry_after=retry_after)
    if 300 <= status < 400:
        target = httpx.URL(response.headers.get("Location", "")).path or "?"
        return SourceError(
            "http_3xx", path, f"HTTP {status}: redirected to {target} (a login page or a proxy?)"
        )
    if status >= 500:
        return SourceError(
            "http_5xx",
            path,
            f"HTTP {status}: server error",
            retry_after=retry_after if status == 503 else None,
        )
    return SourceError("http_4xx", path, f"HTTP {status}")


class LinkClient:
    """What a source gets: JSON GETs relative to the application's base URL."""

    def __init__(self, client: httpx.AsyncClient, link: Link, timeout: float, max_body: int):
        self.client = client
        self.base_url = link.url
        self.timeout = timeout
        self.max_body = max_body
        self._extensions = (
            {"sni_hostname": link.tls_config.server_name} if link.tls_config.server_name else {}
        )

    async def get_json(
        self, path: str, *, optional: bool = False, params: Params | None = None
    ) -> Any:
        """The parsed JSON body of GET base_url+path; None for a 404 on an optional endpoint.

        `params` go into the query string; errors name `path` only, never the query.
        """
        return await self._exchange("GET", path, optional, params, None)

    async def post_json(self, path: str, body: Any, *, params: Params | None = None) -> Any:
        """The parsed JSON body of a POST of `body` as JSON (Crowd's searches are POSTs)."""
        return await self._exchange("POST", path, False, params, body)

    async def _exchange(
        self, method: str, path: str, optional: bool, params: Params | None, body: Any
    ) -> Any:
        try:
            # One deadline for the whole exchange: httpx's timeouts are per read, so a body
            # trickling in byte by byte would otherwise never time out.
            async with asyncio.timeout(self.timeout):
                return await self._send(method, path, optional, params, body)
        except SourceError as exc:
            if exc.path == "-":  # raised by the auth flow, which does not know the path
                raise SourceError(exc.reason, path, exc.message) from None
            raise
        except TimeoutError:
            raise SourceError(
                "timeout", path, f"no complete response within {self.timeout:g}s"
            ) from None
        except httpx.TimeoutException:
            raise SourceError("timeout", path, "timed out") from None
        except httpx.ConnectError as exc:
            reason: Reason = "tls" if _caused_by(exc, ssl.SSLError) else "connection"
            if _caused_by(exc, socket.gaierror):
                reason = "dns"
            raise SourceError(reason, path, f"cannot connect: {_short(exc)}") from None
        except httpx.HTTPError as exc:
            raise SourceError("connection", path, f"{type(exc).__name__}: {_short(exc)}") from None

    async def _send(
        self, method: str, path: str, optional: bool, params: Params | None, body: Any
    ) -> Any:
        request = self.client.build_request(
            method,
            self.base_url + path,
            params=params,
            json=body,
            extensions=self._extensions,
        )
        response = await self.client.send(request, stream=True)
        try:
            if response.status_code == 404 and optional:
                return None
            if response.status_code != 200:
                raise _failure_for_status(response, path)
            content_type = response.headers.get("Content-Type", "")
            if "json" not in content_type.lower():
                raise SourceError(
                    "not_json",
                    path,
                    f"expected JSON, got "
                    f"{content_type.split(';')[0] or 'no content type'} "
                    "(a login or maintenance page?)",
                )
            body = bytearray()
            # Decoded bytes: the cap also stops a small gzip body that inflates without end.
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_body:
                    raise SourceError(
                        "body_too_large",
                        path,
                        f"response larger than body_size_limit ({self.max_body} B)",
                    )
        finally:
            await response.aclose()
        try:
            return json.loads(body)
        except ValueError as exc:
            raise SourceError("not_json", path, f"malformed JSON: {exc}") from None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _short(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:200]
