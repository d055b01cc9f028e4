"""HTTP for application links: one long-lived client per link, SSL contexts shared, JSON fetches
with a total deadline, a body cap, and failures turned into SourceError with a fixed reason."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import ssl
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from exporter import __version__
from exporter.config.models import Link
from exporter.metrics import Reason
from exporter.sources import body as body_io
from exporter.sources.checkpoint import Checkpoints
from exporter.sources.model import SourceError
from exporter.sources.proxy import Route, route
from exporter.sources.secrets import auth_for, known_secrets, redact
from exporter.sources.tls import SSLContexts

__all__ = ["LinkClient", "SSLContexts", "auth_for", "build_client"]

USER_AGENT = f"atlassian-license-exporter/{__version__}"
Params = Mapping[str, str | int]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: httpx.URL) -> str:
    """scheme://host:port of a URL, the port always written out; never its user info, path or
    query, so it is safe to log."""
    scheme = url.scheme.lower()
    port = url.port or _DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{url.host.lower()}:{port}"


def build_client(link: Link, contexts: SSLContexts, timeout: float) -> httpx.AsyncClient:
    context = contexts.get(link.tls_config)
    via = route(link)
    proxy = None
    if via is not None and via.problem is None:
        # Plain http is forwarded to the proxy (absolute URI), https tunnels through CONNECT;
        # an https proxy is verified with the link's TLS settings, as Go's transport does.
        proxy = httpx.Proxy(
            via.url,
            auth=via.auth,
            headers=dict(via.headers) if via.headers else None,
            ssl_context=context if via.url.startswith("https:") else None,
        )
    return httpx.AsyncClient(
        auth=auth_for(link),
        verify=context,
        timeout=httpx.Timeout(timeout),
        # A few connections per link: sources fetch at most a handful of paths at once.
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            # Only what body_io can decode within the body cap: never br or zstd, never stacked.
            "Accept-Encoding": body_io.ACCEPT_ENCODING,
        },
        # A redirect from a REST path is a login page or a proxy; it is a failure, not data.
        follow_redirects=False,
        proxy=proxy,
        # Proxies from the environment only with proxy_from_environment, as in Prometheus;
        # nor credentials from ~/.netrc or CAs from SSL_CERT_FILE behind the config's back.
        trust_env=False,
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


def _failure_for_status(response: httpx.Response, path: str, proxy: Route | None) -> SourceError:
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
        # Some proxies (tinyproxy) answer wrong proxy credentials with a 401, not a 407.
        via = f" (through proxy {proxy.shown}: or its credentials)" if proxy else ""
        return SourceError(
            "http_401",
            path,
            f"HTTP 401: authentication failed; check the credentials{via} "
            "(not retrying before the next interval)",
        )
    if status == 403:
        return SourceError(
            "http_403", path, "HTTP 403: the account lacks the admin permission this endpoint needs"
        )
    if status == 404:
        return SourceError(
            "http_404", path, "HTTP 404: endpoint not found; check the URL and context path"
        )
    if status == 407:
        return _proxy_refused(path, proxy)
    if status == 429:
        return SourceError("http_429", path, "HTTP 429: rate limited", retry_after=retry_after)
    if 300 <= status < 400:
        target = _url(response.headers.get("Location", "")).path or "?"
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


def _proxy_refused(path: str, proxy: Route | None) -> SourceError:
    where = f"proxy {proxy.shown}" if proxy else "a proxy (none configured for this link)"
    return SourceError(
        "http_407",
        path,
        f"HTTP 407 from {where}: proxy authentication required; check the user and password "
        "in proxy_url, or proxy_connect_header",
    )


def _proxy_failure(answer: str, path: str, proxy: Route | None) -> SourceError:
    """A CONNECT the proxy did not accept; httpcore words it `<status> <reason>`."""
    if answer.startswith("407"):
        return _proxy_refused(path, proxy)
    where = proxy.shown if proxy else "?"
    return SourceError("connection", path, f"proxy {where} refused the tunnel: {answer}")


class LinkClient:
    """What a source gets: JSON GETs relative to the application's base URL."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        link: Link,
        timeout: float,
        max_body: int,
        checkpoints: Checkpoints | None = None,
    ):
        self.client = client
        # Resume points of this application's paged reads (exporter.sources.checkpoint).
        self.checkpoints = checkpoints if checkpoints is not None else Checkpoints()
        self.base_url = link.url
        self.timeout = timeout
        self.max_body = max_body
        self._extensions = (
            {"sni_hostname": link.tls_config.server_name} if link.tls_config.server_name else {}
        )
        self._proxy = route(link)  # what build_client chose: read for error messages only
        self.origin = origin_of(httpx.URL(link.url))

    def check_origin(self, target: str, path: str, what: str) -> None:
        """Refuse a URL the upstream hands us (a redirect, a paging link) that points to another
        scheme, host or port: the credentials of this link are never sent there. A relative URL
        resolves against the base URL, so it is on the link's own origin."""
        try:
            elsewhere = origin_of(httpx.URL(self.base_url).join(target.strip()))
        except (httpx.InvalidURL, TypeError):
            raise SourceError("invalid_response", path, f"{what} is not a URL") from None
        if elsewhere != self.origin:
            raise SourceError(
                "invalid_response",
                path,
                f"{what} points to another origin {elsewhere} (configured: {self.origin}); "
                "not requested, the credentials stay with the configured origin",
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
            # httpx connects to the proxy first: a failure to connect is the proxy's, but TLS
            # is with the application, through the tunnel.
            to = ""
            if self._proxy is not None:
                to = f" {'through' if reason == 'tls' else 'to'} proxy {self._proxy.shown}"
            raise SourceError(reason, path, f"cannot connect{to}: {self._redact(exc)}") from None
        except httpx.ProxyError as exc:
            raise _proxy_failure(self._redact(exc), path, self._proxy) from None
        except httpx.HTTPError as exc:
            raise SourceError(
                "connection", path, f"{type(exc).__name__}: {self._redact(exc)}"
            ) from None

    def _redact(self, exc: BaseException) -> str:
        # httpx's text may quote a header or a URL: scrub it, and this link's secrets by value.
        tls = _caused_by(exc, ssl.SSLError)
        return redact(exc, known_secrets(self.client.auth), keep_quoted=tls)

    async def _send(
        self, method: str, path: str, optional: bool, params: Params | None, body: Any
    ) -> Any:
        if self._proxy is not None and self._proxy.problem is not None:
            raise SourceError("connection", path, f"cannot use {self._proxy.problem}")
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
            if 300 <= response.status_code < 400:
                self.check_origin(response.headers.get("Location", ""), path, "redirect")
            if response.status_code != 200:
                raise _failure_for_status(response, path, self._proxy)
            content_type = response.headers.get("Content-Type", "")
            if "json" not in content_type.lower():
                raise SourceError(
                    "not_json",
                    path,
                    f"expected JSON, got "
                    f"{content_type.split(';')[0] or 'no content type'} "
                    "(a login or maintenance page?)",
                )
            coding = body_io.coding_of(response.headers.get("Content-Encoding", ""), path)
            # The raw stream (what aiter_raw reads), decoded by body_io in bounded steps: httpx's
            # decoders inflate whole chunks. Read directly, so a test's pre-read response works.
            stream = response.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            data = await body_io.read_capped(stream, coding, self.max_body, path)
        finally:
            await response.aclose()
            # httpx's response and its stream refer to each other, and the stream to the
            # connection pool and its connections: as a cycle, all of it waited for a full
            # garbage collection (tens of KiB per request, issue #15). The response is closed.
            response.stream = _CLOSED
        return body_io.parse_json(data, path)


_CLOSED = httpx.ByteStream(b"")


def _url(text: str) -> httpx.URL:
    try:
        return httpx.URL(text)
    except (httpx.InvalidURL, TypeError):
        return httpx.URL("")


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
